// 各部门最常看的文档 / Most-read documents by department (from employees' VIEWED edges).
// @mode read
// @param limit int=50 返回条数
MATCH (e:Employee)-[v:VIEWED]->(d:Document)
MATCH (e)-[:BELONGS_TO]->(dept:Department)
RETURN dept.name AS department, d.name AS document, count(v) AS views
ORDER BY views DESC, department, document
LIMIT $limit
