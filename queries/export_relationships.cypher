// 导出全部关系 / Every relationship between resources, for RDF export and backups.
// @internal
// @mode read
MATCH (a:Resource)-[r]->(b:Resource)
RETURN a.id AS start, type(r) AS type, b.id AS end, properties(r) AS properties
ORDER BY start, type, end
