// Internal: set (replace) an employee's 代理 for a period.
// @internal
// @mode write
// @param employee string 员工 ID
// @param delegate string 代理人 ID
// @param start string 开始（ISO 8601）
// @param end string 结束（ISO 8601，不含）
// @param at string 设置时间
MATCH (e:Employee {id: $employee}), (t:Employee {id: $delegate})
MERGE (d:Resource:ApprovalDelegation {id: 'DLG-' + $employee})
SET d.name = e.name + '的代理', d.employee = $employee, d.delegate = $delegate, d.delegateName = t.name,
    d.start = $start, d.end = $end, d.setAt = $at
MERGE (d)-[:DELEGATION_OF]->(e)
RETURN d.id AS id
