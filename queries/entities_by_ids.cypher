// Internal: several entities by id (the API's DataLoader batches lookups through this).
// @internal
// @mode read
// @param ids list 实体 ID 列表
MATCH (n:Resource)
WHERE n.id IN $ids
RETURN n.id AS id, labels(n) AS labels, properties(n) AS properties
