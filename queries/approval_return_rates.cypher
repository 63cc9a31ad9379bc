// 审批退回率：各流程被退回（修改或重审）的申请占比、退回次数与常见步骤 / 退回 rates per process.
// @mode read
MATCH (i:ApprovalInstance)
OPTIONAL MATCH (r:ApprovalAction {kind: 'return'})-[:ACTION_ON]->(i)
WITH i, count(r) AS returns, collect(r.stepName) AS steps
RETURN i.processId AS processId, i.processName AS process, count(i) AS instances,
       sum(CASE WHEN returns > 0 THEN 1 ELSE 0 END) AS returned, sum(returns) AS returns,
       round(1000.0 * sum(CASE WHEN returns > 0 THEN 1 ELSE 0 END) / count(i)) / 10.0 AS returnRatePct
ORDER BY returnRatePct DESC, process
