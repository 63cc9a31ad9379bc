// Internal: an employee viewed (or was answered from) a document — counts feed recommendations.
// @internal
// @mode write
// @param employee string 员工 ID
// @param document string 文档 ID
// @param at string 时间（ISO 8601）
MATCH (e:Employee {id: $employee}), (d:Document {id: $document})
MERGE (e)-[v:VIEWED]->(d)
SET v.count = coalesce(v.count, 0) + 1, v.lastAt = $at
