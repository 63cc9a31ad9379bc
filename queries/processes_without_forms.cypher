// 没有关联表单的审批流程（员工不知道该填什么）/ Approval processes with no form linked.
// @mode read
MATCH (p:ApprovalProcess)
WHERE NOT (p)-[:USES_FORM]->()
RETURN p.id AS id, p.name AS process
ORDER BY process
