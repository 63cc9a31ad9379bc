// Internal: whether an employee is active (false once an org sync marked them as having left).
// @internal
// @mode read
// @param id string 员工 ID
MATCH (e:Employee {id: $id})
RETURN coalesce(e.active, true) AS active
