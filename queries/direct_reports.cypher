// 直接下属：向某员工汇报的人及其部门 / Who reports directly to an employee, with their departments.
// @mode read
// @param id string 员工 ID
MATCH (r:Employee)-[:REPORTS_TO]->(m:Employee {id: $id})
OPTIONAL MATCH (r)-[:BELONGS_TO]->(d:Department)
OPTIONAL MATCH (r)-[:HAS_POSITION]->(pos:Position)
RETURN r.id AS id, r.name AS name, pos.name AS position, d.name AS department
ORDER BY name
