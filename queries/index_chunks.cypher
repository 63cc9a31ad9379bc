// Internal: the chunks of some documents with the entities each mentions (for the search index).
// @internal
// @mode read
// @param ids list 文档 ID 列表
MATCH (d:Document)-[:HAS_CHUNK]->(c:Chunk)
WHERE d.id IN $ids
OPTIONAL MATCH (c)-[:MENTIONS]->(e)
RETURN d.id AS document, c.id AS id, c.text AS text, c.headingPath AS heading, c.kind AS kind,
       c.ordinal AS ordinal, c.language AS language, collect(e.id) AS entityIds, collect(e.name) AS entityNames
