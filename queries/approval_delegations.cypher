// Internal: for each employee, who acts for them at a moment (代理): a delegation they set, or — while
// an approved leave (an absence process) covers the moment — the delegate named on it; plus their
// direct manager (the fallback, and the SLA escalation target) and whether they are active.
// @internal
// @mode read
// @param ids list 员工 ID
// @param at string 时刻（ISO 8601）
UNWIND $ids AS eid
MATCH (e:Employee {id: eid})
OPTIONAL MATCH (d:ApprovalDelegation {employee: eid})
  WHERE d.start <= $at AND $at < d.end
OPTIONAL MATCH (l:ApprovalInstance {applicant: eid, status: 'approved', absence: true})
  WHERE l.periodStart <= $at AND $at < l.periodEnd
OPTIONAL MATCH (e)-[:REPORTS_TO]->(m:Employee)
WITH e, d, l, m ORDER BY l.periodStart DESC
RETURN e.id AS employee, e.name AS name, coalesce(e.active, true) AS active,
       collect(d.delegate)[0] AS delegate, count(l) > 0 AS away, collect(l.delegate)[0] AS leaveDelegate,
       m.id AS manager, m.name AS managerName
