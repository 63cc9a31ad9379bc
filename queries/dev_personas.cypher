// 开发环境登录可选的员工：部门、角色、职级 / Employees to sign in as in development, with department, roles and level.
// @internal
// @mode read
MATCH (e:Employee)
OPTIONAL MATCH (e)-[:BELONGS_TO]->(d:Department)
OPTIONAL MATCH (e)-[:HAS_ROLE]->(r:Role)
RETURN e.id AS id, e.name AS name, d.name AS department, e.level AS level, collect(r.id) AS roles
ORDER BY e.id
