// Internal: which of these strings are node ids, with the labels and access scope that decide who may see them.
// @internal
// @mode read
// @param ids list 候选 ID
MATCH (n:Resource)
WHERE n.id IN $ids
RETURN n.id AS id, labels(n) AS labels, n.accessDepartments AS accessDepartments,
       n.accessRoles AS accessRoles, n.level AS level
