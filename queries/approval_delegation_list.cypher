// Internal: the delegations (代理) set by any of some employees, whatever their period.
// @internal
// @mode read
// @param ids list 员工 ID
UNWIND $ids AS eid
MATCH (d:ApprovalDelegation {employee: eid})
RETURN d.employee AS employee, d.delegate AS delegate, d.start AS start, d.end AS end
