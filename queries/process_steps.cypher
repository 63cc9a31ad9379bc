// 审批流程的步骤（按顺序）与每步的审批人角色 / A process's steps in order with their approver roles.
// @mode read
// @param id string 流程 ID
MATCH (p:ApprovalProcess {id: $id})-[:HAS_STEP]->(s:ApprovalStep)
OPTIONAL MATCH (s)-[:APPROVER_ROLE]->(r:ApproverRole)
OPTIONAL MATCH (r)-[:RESOLVES_TO]->(pos:Position)
RETURN s.id AS id, s.name AS name, s.order AS ordinal, s.mode AS mode,
       s.minAmount AS minAmount, s.maxAmount AS maxAmount, s.minDays AS minDays, s.maxDays AS maxDays,
       collect({id: r.id, name: r.name, relation: r.relation, position: pos.id}) AS approvers
ORDER BY ordinal
