// Internal: every employee's org relationships as "TYPE end-id" lines, one row per employee that has any (see org_employee_states). Grouped by the id string after a plain MATCH: in FalkorDB an OPTIONAL MATCH grouped by node costs twice as much.
// @internal
// @mode read
// @param types list 受同步管理的关系类型
MATCH (n:Employee)-[r]->(m)
WHERE type(r) IN $types
WITH n.id AS id, type(r) + ' ' + m.id AS edge
WITH id, collect(edge) AS edges
RETURN id, reduce(s = '', e IN edges | s + e + '\n') AS edges
