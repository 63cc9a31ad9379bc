// 审批各步骤耗时：每个流程各步骤从开始等待到做出决定的平均、最长小时数 / Average time per approval step.
// @mode read
// @param process string? 流程 ID（可为空）
MATCH (a:ApprovalAction)-[:ACTION_ON]->(i:ApprovalInstance)
WHERE a.kind IN ['approve', 'reject', 'return', 'escalate'] AND a.waitedHours IS NOT NULL
  AND ($process IS NULL OR i.processId = $process)
RETURN i.processId AS processId, i.processName AS process, a.stepName AS step, count(a) AS decisions,
       round(avg(a.waitedHours) * 10) / 10.0 AS avgHours, round(max(a.waitedHours) * 10) / 10.0 AS maxHours,
       sum(CASE WHEN a.kind = 'escalate' THEN 1 ELSE 0 END) AS breaches
ORDER BY process, step
