// Internal: the active employees that 抄送 entries name — an employee, or everyone holding a position or role.
// @internal
// @mode read
// @param ids list 员工、职位或角色 ID
UNWIND $ids AS cid
MATCH (e:Employee)
WHERE coalesce(e.active, true) AND e.id = cid
RETURN e.id AS id, e.name AS name
UNION
UNWIND $ids AS cid
MATCH (e:Employee)-[:HAS_POSITION|HAS_ROLE]->(x:Resource {id: cid})
WHERE coalesce(e.active, true)
RETURN e.id AS id, e.name AS name
