// Internal: the direct relationships (both directions) of several entities at once, at most $limit per
// entity — entity_relations for a batch (the API's DataLoader reads nested relations through this).
// @internal
// @mode read
// @param ids list 实体 ID 列表
// @param limit int 每个实体最多返回多少条
// @param hide_types list 不返回的关系类型 / relationship types left out
// @param hide_labels list 另一端带这些标签时不返回 / other-end labels left out
MATCH (n:Resource)-[r]-(m:Resource)
WHERE n.id IN $ids
  AND NOT type(r) IN coalesce($hide_types, [])
  AND none(l IN labels(m) WHERE l IN coalesce($hide_labels, []))
WITH n, r, m
ORDER BY n.id, type(r), m.id
WITH n, collect({type: type(r), direction: CASE WHEN startNode(r) = n THEN 'out' ELSE 'in' END,
                 id: m.id, name: m.name, labels: labels(m), accessDepartments: m.accessDepartments,
                 accessRoles: m.accessRoles, level: m.level})[..$limit] AS rows
UNWIND rows AS row
RETURN n.id AS of, row.type AS type, row.direction AS direction, row.id AS id, row.name AS name,
       row.labels AS labels, row.accessDepartments AS accessDepartments, row.accessRoles AS accessRoles,
       row.level AS level
