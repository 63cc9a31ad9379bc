// Internal: some employees as the graph holds them (properties and org relationships), for the part of an incremental sync that changes them (looked up through the Resource id index).
// @internal
// @mode read
// @param ids list 员工 ID
// @param types list 受同步管理的关系类型
MATCH (n:Resource)
WHERE n.id IN $ids AND n:Employee
OPTIONAL MATCH (n)-[r]->(m)
WHERE type(r) IN $types
RETURN n.id AS id, labels(n) AS labels, properties(n) AS properties,
       collect(CASE WHEN m IS NULL THEN NULL ELSE [type(r), m.id] END) AS out
