// Internal: the org as the graph holds it (departments, employees, positions, the organisation) with their org relationships, for an incremental sync.
// @internal
// @mode read
// @param types list 受同步管理的关系类型
MATCH (n:Resource)
WHERE n:Employee OR n:Department OR n:Position OR n:Organization
OPTIONAL MATCH (n)-[r]->(m:Resource)
WHERE type(r) IN $types
RETURN n.id AS id, labels(n) AS labels, properties(n) AS properties,
       collect(CASE WHEN m IS NULL THEN NULL ELSE [type(r), m.id] END) AS out
