// Internal write: a knowledge engineer keeps an orphaned entity — it leaves the review queue.
// @internal
// @mode write
// @param id string 实体 ID
MATCH (e:Resource {id: $id})
WHERE e.orphanedAt IS NOT NULL
REMOVE e.orphanedAt, e.orphanedFrom
RETURN e.id AS id, e.name AS name
