// Internal: who an employee is for access control — department chain (own first), roles, level.
// @internal
// @mode read
// @param id string 员工 ID
MATCH (e:Employee {id: $id})
OPTIONAL MATCH (e)-[:BELONGS_TO]->(d:Department)
OPTIONAL MATCH path = (d)-[:PART_OF*0..6]->(up:Department)
WITH e, d, up, length(path) AS depth
ORDER BY depth
WITH e, d, collect(up.id) AS chain
OPTIONAL MATCH (e)-[:HAS_ROLE]->(r:Role)
RETURN e.id AS id, e.name AS name, e.level AS level, chain AS departments, collect(r.id) AS roles
