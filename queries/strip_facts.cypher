// Internal write template: remove chunks' support from facts; delete extracted facts left unsupported.
// @internal
// @mode write
// @param rows list [{start, end}]
// @param chunks list 被删除的文本块 ID
// @param doc string 文档 ID（其冲突记录一并移除）
UNWIND $rows AS row
MATCH (a:Resource {id: row.start})-[r{{type}}]->(b:Resource {id: row.end})
// Only relationships extraction has touched: a curated one the writer never reached stays as it is.
WHERE r.chunkIds IS NOT NULL
SET r.chunkIds = [c IN coalesce(r.chunkIds, []) WHERE NOT c IN $chunks],
    r.conflicts = CASE WHEN size([c IN coalesce(r.conflicts, []) WHERE NOT (c STARTS WITH ($doc + '|'))]) = 0
                       THEN NULL
                       ELSE [c IN r.conflicts WHERE NOT (c STARTS WITH ($doc + '|'))] END
WITH r
WHERE size(r.chunkIds) = 0 AND NOT coalesce(r.curated, false)
DELETE r
