// Internal: the section anchor of each chunk of some documents (for deep links in the search index).
// @internal
// @mode read
// @param ids list 文档 ID 列表
MATCH (d:Document)-[:HAS_CHUNK]->(c:Chunk)
WHERE d.id IN $ids AND c.anchor IS NOT NULL
RETURN c.id AS id, c.anchor AS anchor
