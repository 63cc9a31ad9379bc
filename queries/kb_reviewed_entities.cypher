// Internal: which of these nodes a knowledge engineer's review decision made or merged into (accept, merge):
// `zhiku load --prune` keeps them even when the project no longer has them.
// @internal
// @mode read
// @param ids list 节点 ID
MATCH (d:ReviewDecision)
WHERE d.action IN ['merge', 'accept'] AND d.target IN $ids
RETURN DISTINCT d.target AS id
