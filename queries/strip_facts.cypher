// Internal write template: remove chunks' support from facts; delete extracted facts left unsupported.
// @internal
// @mode write
// @param rows list [{start, end}]
// @param chunks list 被删除的文本块 ID
UNWIND $rows AS row
MATCH (a:Resource {id: row.start})-[r{{type}}]->(b:Resource {id: row.end})
// Only relationships extraction has touched: a curated one the writer never reached stays as it is.
WHERE r.chunkIds IS NOT NULL
SET r.chunkIds = [c IN coalesce(r.chunkIds, []) WHERE NOT c IN $chunks]
WITH r
WHERE size(r.chunkIds) = 0 AND NOT coalesce(r.curated, false)
DELETE r
