// 拥有某角色的员工（为空则全体员工）/ Employees holding a role (everyone when the role is null).
// @mode read
// @param role string? 角色 ID（如 employee、hr；可为空）
MATCH (e:Employee)
OPTIONAL MATCH (e)-[:HAS_ROLE]->(r:Role)
WITH e, collect(r.id) AS roles
WHERE $role IS NULL OR $role = 'employee' OR $role IN roles OR ('ROLE-' + $role) IN roles
RETURN e.id AS id, e.name AS name
ORDER BY e.id
