// Internal write: mark entities no chunk mentions any more as orphans of a deleted document (kept in the
// graph; the review queue lists them until a chunk mentions them again or an engineer keeps them).
// @internal
// @mode write
// @param ids list 被删文档提及过的实体 ID
// @param doc string 被删文档 ID
// @param at string 时间（ISO 8601）
UNWIND $ids AS id
MATCH (e:Resource {id: id})
WHERE NOT ()-[:MENTIONS]->(e)
SET e.orphanedAt = $at, e.orphanedFrom = $doc
RETURN e.id AS id, e.name AS name
