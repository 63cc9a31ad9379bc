// 事实冲突：不同文档对同一事实给出不同属性（如会签/依次、金额门槛）；只列调用者可读文档中的分歧 / Facts whose sources disagree, among documents the caller may read.
// @mode read
// @param limit int=50 返回条数
// @param hidden_documents list 调用者不可见的文档 / documents the caller may not read
MATCH (a:Resource)-[r]->(b:Resource)
WHERE r.conflicts IS NOT NULL AND size(r.conflicts) > 0
// a conflict note reads "docId|what differs": notes from hidden documents are left out
WITH a, r, b, [c IN r.conflicts WHERE NOT split(c, '|')[0] IN $hidden_documents] AS conflicts
WHERE size(conflicts) > 0
RETURN a.id AS startId, a.name AS start, type(r) AS relation, b.id AS endId, b.name AS end,
       conflicts, r.chunkIds AS supportedBy
ORDER BY start, relation, end
LIMIT $limit
