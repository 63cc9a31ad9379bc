// Internal: entities with their properties and outgoing relationships (to SHACL-check a batch of facts).
// @internal
// @mode read
// @param ids list 实体 ID
UNWIND $ids AS id
MATCH (n:Resource {id: id})
OPTIONAL MATCH (n)-[r]->(m:Resource)
RETURN n.id AS id, labels(n) AS labels, properties(n) AS properties,
       collect(CASE WHEN m IS NULL THEN NULL ELSE [type(r), m.id] END) AS out
