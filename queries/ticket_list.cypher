// Internal: the agents' queue — tickets by status (empty = all), most urgent first: those still waiting
// for an agent's first reply (not closed, no reply in their history) oldest first, as their
// first-response clock runs out first (chat/sla.py), then the rest by newest activity; with an
// employee, that employee's own tickets (the mini-program's 我的工单). Each row is the whole ticket
// (its conversation and what each line drew on), as ticket_detail returns it: the queue shows it.
// @internal
// @mode read
// @param status string 状态（open / in_progress / closed；空 = 全部）
// @param assignee string 只看该客服的（空 = 全部）
// @param employee string 只看该员工提交的（空 = 全部）
// @param limit int 返回条数
MATCH (t:Ticket)-[:RAISED_BY]->(e:Employee)
WHERE ($status = '' OR t.status = $status) AND ($employee = '' OR e.id = $employee)
OPTIONAL MATCH (t)-[:ASSIGNED_TO]->(a:Employee)
WITH t, e, a
WHERE $assignee = '' OR a.id = $assignee
OPTIONAL MATCH (e)-[:BELONGS_TO]->(d:Department)
WITH t, e, a, d,
     t.status <> 'closed' AND
     none(h IN coalesce(t.history, []) WHERE h STARTS WITH 'reply:' OR h STARTS WITH 'closed:') AS waiting
RETURN t.id AS id, t.name AS title, t.category AS category, t.status AS status,
       t.createdAt AS createdAt, t.updatedAt AS updatedAt, e.id AS employeeId, e.name AS employeeName,
       d.name AS department, a.id AS assigneeId, a.name AS assigneeName,
       size(coalesce(t.conversation, [])) AS messages, t.session AS session,
       coalesce(t.conversation, []) AS conversation, coalesce(t.found, []) AS found,
       coalesce(t.history, []) AS history, t.resolution AS resolution,
       t.lineDocuments AS lineDocuments, t.foundDocuments AS foundDocuments, waiting
ORDER BY waiting DESC, CASE WHEN waiting THEN createdAt ELSE '' END, updatedAt DESC, id
LIMIT $limit
