// Internal: orphaned entities — only a deleted document mentioned them — newest first, for the review queue.
// @internal
// @mode read
// @param limit int=50 返回条数
MATCH (e:Resource)
WHERE e.orphanedAt IS NOT NULL AND NOT ()-[:MENTIONS]->(e)
RETURN e.id AS id, e.name AS name, [l IN labels(e) WHERE l <> 'Resource'][0] AS type,
       e.orphanedFrom AS document, e.orphanedAt AS since
ORDER BY since DESC, id
LIMIT $limit
