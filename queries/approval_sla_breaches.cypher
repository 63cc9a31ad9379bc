// 审批超时：按流程、步骤、审批人统计超过处理时限（并已按流程的超时策略处理）的次数 / SLA breaches by process, step and approver.
// @mode read
// @param process string? 流程 ID（可为空）
// @param limit int=50 返回条数
MATCH (a:ApprovalAction {kind: 'escalate'})-[:ACTION_ON]->(i:ApprovalInstance)
WHERE $process IS NULL OR i.processId = $process
UNWIND coalesce(a.waitingOn, []) AS who
OPTIONAL MATCH (e:Employee {id: who})
RETURN i.processId AS processId, i.processName AS process, a.stepName AS step, who AS approverId,
       e.name AS approver, count(DISTINCT a) AS breaches, round(avg(a.waitedHours) * 10) / 10.0 AS avgHoursWaited
ORDER BY breaches DESC, process, step, approverId
LIMIT $limit
