// Internal: the relationships leaving some nodes (to count what a knowledge-base load would add).
// @internal
// @mode read
// @param ids list 起点节点 ID
UNWIND $ids AS id
MATCH (a:Resource {id: id})-[r]->(b:Resource)
RETURN a.id AS start, type(r) AS type, b.id AS end
