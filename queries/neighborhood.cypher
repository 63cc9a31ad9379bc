// 实体的邻域（最多 3 跳，可限定关系类型）/ An entity's neighbourhood up to 3 hops, optionally by type.
// @mode read
// @param id string 实体 ID
// @param depth int=1 跳数（1–3）
// @param types list= 关系类型（空表示全部）
// @param limit int=200 最多返回多少条路径
// @param hide_types list 不经过的关系类型（非管理员调用时：VIEWED）/ relationship types not followed
// @param hide_labels list 不经过带这些标签的节点（非管理员：工单、审批记录等）/ node labels not passed through
MATCH p = (n:Resource {id: $id})-[*1..3]-(m:Resource)
WHERE length(p) <= $depth AND all(r IN relationships(p) WHERE size($types) = 0 OR type(r) IN $types)
  AND none(r IN relationships(p) WHERE type(r) IN coalesce($hide_types, []))
  AND none(x IN nodes(p) WHERE any(l IN labels(x) WHERE l IN coalesce($hide_labels, [])))
WITH p LIMIT $limit
UNWIND relationships(p) AS r
WITH DISTINCT r
RETURN startNode(r).id AS source, type(r) AS type, endNode(r).id AS target
