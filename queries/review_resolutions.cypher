// Internal: fact conflicts knowledge engineers settled, for facts given by key (start|TYPE|end) — oldest first.
// @internal
// @mode read
// @param keys list 事实键（起点|关系|终点）
MATCH (d:ReviewDecision {action: 'resolve'})
WHERE d.target IN $keys
RETURN d.target AS key, d.chosen AS chosen, d.overruled AS overruled
ORDER BY d.decidedAt, d.id
