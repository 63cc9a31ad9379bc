// 连接最多的实体（图谱的枢纽）/ The most connected entities (hubs), excluding documents and chunks; only connections the caller may see count.
// @mode read
// @param limit int=50 返回条数
// @param hide_types list 不计入的关系类型 / relationship types left out
// @param hide_labels list 另一端带这些标签时不计入 / left out when the other end has one of these labels
// @param hidden_documents list 调用者不可见的文档（及其文本块）/ documents the caller may not read
MATCH (x:Resource)-[r]-(o)
WHERE NOT x:Chunk AND NOT x:Document AND none(l IN labels(x) WHERE l IN $hide_labels)
  AND NOT type(r) IN $hide_types AND none(l IN labels(o) WHERE l IN $hide_labels)
  AND NOT ((o:Document AND o.id IN $hidden_documents) OR (o:Chunk AND o.documentId IN $hidden_documents))
RETURN x.id AS id, x.name AS name, labels(x) AS labels, count(r) AS degree
ORDER BY degree DESC, id
LIMIT $limit
