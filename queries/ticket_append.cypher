// Internal: add one line to an open ticket's conversation, once per key (a retried send counts once).
// @internal
// @mode write
// @param id string 工单 ID
// @param line string 对话行（“角色: 内容”）
// @param key string 幂等键
// @param event string 历史记录项
// @param at string 时间
MATCH (t:Ticket {id: $id})
WHERE t.status <> 'closed' AND NOT $key IN coalesce(t.lineKeys, [])
SET t.conversation = coalesce(t.conversation, []) + [$line],
    t.lineKeys = coalesce(t.lineKeys, []) + [$key],
    t.history = coalesce(t.history, []) + [$event + '@' + $at], t.updatedAt = $at
RETURN count(t) AS changed
