// Processes, forms and policies within two hops of an entity (nearest first), with the policies' documents; paths do not pass through documents the caller may not read.
// @mode read
// @param id string 实体 ID
// @param hidden_documents list 调用者不可见的文档（及其文本块）/ documents the caller may not read
MATCH p = (e:Resource {id: $id})-[*1..2]-(x)
WHERE (x:ApprovalProcess OR x:Form OR x:Policy) AND x.id <> $id
  AND none(n IN nodes(p) WHERE (n:Document AND n.id IN $hidden_documents) OR (n:Chunk AND n.documentId IN $hidden_documents))
WITH x, min(length(p)) AS hops
OPTIONAL MATCH (x)-[:DEFINED_IN]->(d:Document)
RETURN x.id AS id, x.name AS name, labels(x) AS labels, hops, collect(d.id) AS documents
ORDER BY hops, id
