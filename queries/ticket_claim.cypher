// Internal: an agent takes a ticket that is not closed (a transfer if someone else held it).
// @internal
// @mode write
// @param id string 工单 ID
// @param agent string 客服 ID
// @param at string 时间
MATCH (t:Ticket {id: $id}), (a:Employee {id: $agent})
WHERE t.status <> 'closed'
OPTIONAL MATCH (t)-[old:ASSIGNED_TO]->(:Employee)
DELETE old
WITH DISTINCT t, a
MERGE (t)-[:ASSIGNED_TO]->(a)
SET t.status = 'in_progress', t.updatedAt = $at,
    t.history = coalesce(t.history, []) + ['claimed:' + $agent + '@' + $at]
RETURN count(t) AS changed
