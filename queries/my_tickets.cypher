// Internal: an employee's tickets, newest first (the chatbot's "where is my application").
// @internal
// @mode read
// @param employee string 员工 ID
// @param limit int 返回条数
MATCH (t:Ticket)-[:RAISED_BY]->(:Employee {id: $employee})
OPTIONAL MATCH (t)-[:ASSIGNED_TO]->(a:Employee)
RETURN t.id AS id, t.name AS title, t.category AS category, t.status AS status, t.createdAt AS createdAt,
       a.name AS assignee
ORDER BY t.createdAt DESC
LIMIT $limit
