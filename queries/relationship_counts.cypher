// 各类关系数量（调用者可见的）/ Relationship count per type, of what the caller may see.
// @mode read
// @param hide_types list 不计入的关系类型（非管理员：VIEWED）/ relationship types left out
// @param hide_labels list 一端带这些标签时不计入 / left out when an end has one of these labels
// @param hidden_documents list 调用者不可见的文档（及其文本块）/ documents the caller may not read
MATCH (a)-[r]->(b)
WHERE NOT type(r) IN $hide_types
  AND none(l IN labels(a) + labels(b) WHERE l IN $hide_labels)
  AND NOT ((a:Document AND a.id IN $hidden_documents) OR (a:Chunk AND a.documentId IN $hidden_documents)
        OR (b:Document AND b.id IN $hidden_documents) OR (b:Chunk AND b.documentId IN $hidden_documents))
RETURN type(r) AS type, count(*) AS count
ORDER BY count DESC, type
