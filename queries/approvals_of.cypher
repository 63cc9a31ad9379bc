// Internal: approval instances that involve an employee — applied for (applied), waiting on them
// (todo: also their own applications sent back to them by 退回), or acted on by them (handled: a decision,
// transfer, 加签, 退回 or withdrawal — not a reminder, resubmission or comment) — newest first.
// @internal
// @mode read
// @param employee string 员工 ID
// @param role string applied / todo / handled
// @param status string 状态（可为空）
// @param limit int 返回条数
MATCH (me:Resource {id: $employee})
OPTIONAL MATCH (a:Resource)-[:APPLIED_BY]->(me) WHERE $role = 'applied' AND a:ApprovalInstance
OPTIONAL MATCH (t:Resource)-[:PENDING_WITH]->(me) WHERE $role = 'todo' AND t:ApprovalInstance
OPTIONAL MATCH (me)<-[:ACTED_BY]-(x:ApprovalAction)-[:ACTION_ON]->(h:ApprovalInstance)
  WHERE $role = 'handled' AND NOT x.kind IN ['submit', 'remind', 'resubmit', 'comment']
WITH collect(DISTINCT a) + collect(DISTINCT t) + collect(DISTINCT h) AS found
UNWIND found AS i
WITH DISTINCT i
WHERE $status IS NULL OR i.status = $status
RETURN properties(i) AS instance
ORDER BY i.updatedAt DESC
LIMIT $limit
