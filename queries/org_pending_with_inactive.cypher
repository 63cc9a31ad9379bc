// Internal: pending approval instances waiting on an employee who is no longer active (left the company).
// @internal
// @mode read
MATCH (i:ApprovalInstance)-[:PENDING_WITH]->(e:Employee)
WHERE i.status = 'pending' AND e.active = false
RETURN i.id AS instance, i.processId AS process, e.id AS employee, e.name AS name
ORDER BY instance, employee
