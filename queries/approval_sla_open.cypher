// Internal: pending approval instances with the SLA actions already taken on them (their ids).
// @internal
// @mode read
MATCH (i:ApprovalInstance {status: 'pending'})
OPTIONAL MATCH (a:ApprovalAction)-[:ACTION_ON]->(i)
  WHERE a.kind IN ['sla_remind', 'escalate']
RETURN properties(i) AS instance, collect(a.id) AS done
