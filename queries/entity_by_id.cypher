// 按 ID 查实体：标签与全部属性 / One entity by id: its labels and properties.
// @mode read
// @param id string 实体 ID
MATCH (n:Resource {id: $id})
RETURN n.id AS id, labels(n) AS labels, properties(n) AS properties
