// Internal: the stored state of the nodes a knowledge-base load would write (to say what changes).
// @internal
// @mode read
// @param ids list 节点 ID
UNWIND $ids AS id
MATCH (n:Resource {id: id})
RETURN n.id AS id, labels(n) AS labels, properties(n) AS props
