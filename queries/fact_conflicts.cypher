// 事实冲突：不同文档对同一事实给出不同属性（如会签/依次、金额门槛）/ Facts whose sources disagree.
// @mode read
// @param limit int=50 返回条数
MATCH (a:Resource)-[r]->(b:Resource)
WHERE r.conflicts IS NOT NULL AND size(r.conflicts) > 0
RETURN a.id AS startId, a.name AS start, type(r) AS relation, b.id AS endId, b.name AS end,
       r.conflicts AS conflicts, r.chunkIds AS supportedBy
ORDER BY start, relation, end
LIMIT $limit
