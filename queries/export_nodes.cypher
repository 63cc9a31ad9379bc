// 导出全部节点（标签与属性）/ Every node with its labels and properties, for RDF export and backups.
// @internal
// @mode read
MATCH (n:Resource)
RETURN n.id AS id, labels(n) AS labels, properties(n) AS properties
ORDER BY id
