// 组织架构：各部门的上级部门、负责人与人数 / Org chart: each department, its parent, head and headcount.
// @mode read
MATCH (d:Department)
OPTIONAL MATCH (d)-[:PART_OF]->(parent:Department)
OPTIONAL MATCH (head:Employee)-[:HEAD_OF]->(d)
OPTIONAL MATCH (member:Employee)-[:BELONGS_TO]->(d)
RETURN d.id AS id, d.name AS department, parent.name AS parent, head.name AS head,
       count(DISTINCT member) AS headcount
ORDER BY parent IS NOT NULL, parent, department
