// 审批统计：各流程的申请数与通过、驳回、撤回、进行中的数量 / Approval outcomes per process.
// @mode read
MATCH (i:ApprovalInstance)-[:INSTANCE_OF]->(p:ApprovalProcess)
RETURN p.id AS id, p.name AS process, count(i) AS instances,
       sum(CASE WHEN i.status = 'approved' THEN 1 ELSE 0 END) AS approved,
       sum(CASE WHEN i.status = 'rejected' THEN 1 ELSE 0 END) AS rejected,
       sum(CASE WHEN i.status = 'withdrawn' THEN 1 ELSE 0 END) AS withdrawn,
       sum(CASE WHEN i.status = 'pending' THEN 1 ELSE 0 END) AS pending
ORDER BY instances DESC, process
