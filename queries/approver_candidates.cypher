// Internal: the people who could approve for an applicant — their manager, department heads up the
// tree, and everyone holding one of the given positions.
// @internal
// @mode read
// @param applicant string 申请人 ID
// @param positions list 职位 ID 列表
MATCH (a:Employee {id: $applicant})
OPTIONAL MATCH (a)-[:REPORTS_TO]->(m:Employee)
OPTIONAL MATCH (a)-[:BELONGS_TO]->(d:Department)
OPTIONAL MATCH chain = (d)-[:PART_OF*0..4]->(up:Department)<-[:HEAD_OF]-(h:Employee)
WITH a, m, collect({id: h.id, name: h.name, depth: length(chain)}) AS heads
OPTIONAL MATCH (holder:Employee)-[:HAS_POSITION]->(pos:Position)
WHERE pos.id IN $positions
RETURN a.id AS applicant, a.name AS applicantName, m.id AS manager, m.name AS managerName, heads,
       collect({id: holder.id, name: holder.name, position: pos.id}) AS holders
