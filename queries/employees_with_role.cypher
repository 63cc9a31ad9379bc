// 拥有某角色的员工（为空则全体员工）/ Employees holding a role (everyone when the role is null).
// @mode read
// @param role string 角色 ID（如 employee、hr；可为空）
MATCH (e:Employee)
WHERE $role IS NULL OR $role = 'employee' OR (e)-[:HAS_ROLE]->(:Role {id: $role})
RETURN e.id AS id, e.name AS name
ORDER BY e.id
