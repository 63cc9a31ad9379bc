// Internal: one approval instance with its audit trail (oldest action first).
// @internal
// @mode read
// @param id string 审批实例 ID
MATCH (i:Resource {id: $id})
WHERE i:ApprovalInstance
OPTIONAL MATCH (a:ApprovalAction)-[:ACTION_ON]->(i)
WITH i, a
ORDER BY a.seq
RETURN properties(i) AS instance, collect(properties(a)) AS actions
