// 可用于访问范围的部门与角色（上传文档时校验）/ The departments and roles an access scope may name (checked on upload).
// @internal
// @mode read
MATCH (d:Department)
RETURN 'department' AS kind, d.id AS id, d.name AS name
UNION ALL
MATCH (r:Role)
RETURN 'role' AS kind, r.id AS id, r.name AS name
