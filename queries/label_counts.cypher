// 各类节点数量（调用者可见的）/ Node count per label, of what the caller may see.
// @mode read
// @param hide_labels list 不计入的标签（非管理员：工单、审批记录等）/ labels left out
// @param hidden_documents list 调用者不可见的文档（及其文本块）/ documents the caller may not read
MATCH (n)
WHERE none(l IN labels(n) WHERE l IN $hide_labels)
  AND NOT ((n:Document AND n.id IN $hidden_documents) OR (n:Chunk AND n.documentId IN $hidden_documents))
UNWIND labels(n) AS label
RETURN label, count(*) AS count
ORDER BY count DESC, label
