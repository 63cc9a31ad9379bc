// Internal: close a ticket with its resolution (closing twice changes nothing).
// @internal
// @mode write
// @param id string 工单 ID
// @param agent string 客服 ID
// @param resolution string 处理结果
// @param at string 时间
MATCH (t:Ticket {id: $id})
WHERE t.status <> 'closed'
SET t.status = 'closed', t.resolution = $resolution, t.closedAt = $at, t.updatedAt = $at,
    t.history = coalesce(t.history, []) + ['closed:' + $agent + '@' + $at]
RETURN count(t) AS changed
