// Internal: the labels of entities given by id (to check extracted facts against the ontology).
// @internal
// @mode read
// @param ids list 实体 ID
UNWIND $ids AS id
MATCH (n:Resource {id: id})
RETURN n.id AS id, labels(n) AS labels
