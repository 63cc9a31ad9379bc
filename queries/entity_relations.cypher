// 实体的直接关系（双向）/ An entity's direct relationships in both directions, with the other end.
// @mode read
// @param id string 实体 ID
// @param limit int 最多返回多少条
MATCH (n:Resource {id: $id})-[r]-(m:Resource)
RETURN type(r) AS type,
       CASE WHEN startNode(r) = n THEN 'out' ELSE 'in' END AS direction,
       m.id AS id, m.name AS name, labels(m) AS labels,
       m.accessDepartments AS accessDepartments, m.accessRoles AS accessRoles, m.level AS level
ORDER BY type, id
LIMIT $limit
