// Internal: one ticket with who raised it, who holds it, and what it concerns.
// @internal
// @mode read
// @param id string 工单 ID
MATCH (t:Ticket {id: $id})-[:RAISED_BY]->(e:Employee)
OPTIONAL MATCH (t)-[:ASSIGNED_TO]->(a:Employee)
OPTIONAL MATCH (e)-[:BELONGS_TO]->(d:Department)
OPTIONAL MATCH (t)-[:CONCERNS]->(x:Resource)
RETURN t.id AS id, t.name AS title, t.category AS category, t.status AS status,
       t.createdAt AS createdAt, t.updatedAt AS updatedAt, t.session AS session,
       coalesce(t.conversation, []) AS conversation, coalesce(t.found, []) AS found,
       coalesce(t.history, []) AS history, t.resolution AS resolution,
       t.lineDocuments AS lineDocuments, t.foundDocuments AS foundDocuments,
       e.id AS employeeId, e.name AS employeeName, d.name AS department,
       a.id AS assigneeId, a.name AS assigneeName, collect(DISTINCT x.name) AS concerns
