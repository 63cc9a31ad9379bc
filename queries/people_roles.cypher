// 人员与角色（管理员页面，只读）：部门、职级、角色 / People with their department, level and roles, for the admin page.
// @internal
// @mode read
// @param role string? 只列出持有该角色的人（可为空）
// @param skip int=0 跳过条数
// @param limit int=100 返回条数
MATCH (e:Employee)
OPTIONAL MATCH (e)-[:BELONGS_TO]->(d:Department)
OPTIONAL MATCH (e)-[:HAS_ROLE]->(r:Role)
WITH e, d, collect(r.id) AS roles
WHERE $role IS NULL OR $role IN roles OR ('ROLE-' + $role) IN roles
RETURN e.id AS id, e.name AS name, d.name AS department, e.level AS level, roles
ORDER BY e.id
SKIP $skip
LIMIT $limit
