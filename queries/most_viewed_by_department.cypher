// 各部门最常看的文档（调用者可读的）/ Most-read documents by department (from employees' VIEWED edges), of those the caller may read.
// @mode read
// @param limit int=50 返回条数
// @param hidden_documents list 调用者不可见的文档 / documents the caller may not read
MATCH (e:Employee)-[v:VIEWED]->(d:Document)
WHERE NOT d.id IN $hidden_documents
MATCH (e)-[:BELONGS_TO]->(dept:Department)
RETURN dept.name AS department, d.id AS id, d.name AS document, count(v) AS views
ORDER BY views DESC, department, document
LIMIT $limit
