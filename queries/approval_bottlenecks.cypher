// 审批瓶颈：待审批实例压在谁手里、多少件、最早从何时开始等待 / Approval bottlenecks: whose desk pending instances wait on, how many, since when.
// @mode read
// @param limit int=50 返回条数
MATCH (i:ApprovalInstance {status: 'pending'})-[:PENDING_WITH]->(e:Employee)
OPTIONAL MATCH (i)-[:INSTANCE_OF]->(p:ApprovalProcess)
RETURN e.id AS id, e.name AS approver, count(DISTINCT i) AS waiting, min(i.updatedAt) AS waitingSince,
       collect(DISTINCT p.name)[..5] AS processes
ORDER BY waiting DESC, waitingSince
LIMIT $limit
