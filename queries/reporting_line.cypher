// 汇报线：某员工向上的各级上级 / An employee's reporting line upwards, nearest manager first.
// @mode read
// @param id string 员工 ID
MATCH path = (e:Employee {id: $id})-[:REPORTS_TO*1..10]->(m:Employee)
OPTIONAL MATCH (m)-[:HAS_POSITION]->(pos:Position)
RETURN length(path) AS level, m.id AS id, m.name AS name, pos.name AS position
ORDER BY level
