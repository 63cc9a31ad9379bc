// 实体的直接关系（双向）/ An entity's direct relationships in both directions, with the other end.
// @mode read
// @param id string 实体 ID
// @param limit int=200 最多返回多少条
// @param hide_types list 不返回的关系类型（非管理员调用时：VIEWED）/ relationship types left out
// @param hide_labels list 另一端带这些标签时不返回（非管理员：工单、审批记录等）/ other-end labels left out
MATCH (n:Resource {id: $id})-[r]-(m:Resource)
WHERE NOT type(r) IN coalesce($hide_types, [])
  AND none(l IN labels(m) WHERE l IN coalesce($hide_labels, []))
RETURN type(r) AS type,
       CASE WHEN startNode(r) = n THEN 'out' ELSE 'in' END AS direction,
       m.id AS id, m.name AS name, labels(m) AS labels,
       m.accessDepartments AS accessDepartments, m.accessRoles AS accessRoles, m.level AS level
ORDER BY type, id
LIMIT $limit
