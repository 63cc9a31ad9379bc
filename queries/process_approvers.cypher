// 流程的完整审批链：每一步的方式、条件、审批角色与目前担任该职位的人 / A process's full approval chain with the people who hold each approver position today.
// @mode read
// @param id string 流程 ID
MATCH (p:ApprovalProcess {id: $id})-[:HAS_STEP]->(s:ApprovalStep)
OPTIONAL MATCH (s)-[:APPROVER_ROLE]->(r:ApproverRole)
OPTIONAL MATCH (r)-[:RESOLVES_TO]->(pos:Position)<-[:HAS_POSITION]-(holder:Employee)
RETURN s.order AS step, s.name AS name, s.mode AS mode, s.minAmount AS minAmount, s.minDays AS minDays,
       r.name AS approverRole, r.relation AS relativeTo, collect(DISTINCT holder.name) AS holders
ORDER BY step, approverRole
