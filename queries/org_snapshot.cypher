// Internal: the org's departments, positions and organisation as the graph holds them, with their org relationships, for an incremental sync (employees: org_employees).
// @internal
// @mode read
// @param types list 受同步管理的关系类型
MATCH (n:Resource)
WHERE n:Department OR n:Position OR n:Organization
OPTIONAL MATCH (n)-[r]->(m)
WHERE type(r) IN $types
RETURN n.id AS id, labels(n) AS labels, properties(n) AS properties,
       collect(CASE WHEN m IS NULL THEN NULL ELSE [type(r), m.id] END) AS out
