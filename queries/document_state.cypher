// Internal: an ingested document's content hash, its chunks and the facts it supports.
// @internal
// @mode read
// @param id string 文档 ID
MATCH (d:Document {id: $id})
OPTIONAL MATCH (d)-[:HAS_CHUNK]->(c:Chunk)
RETURN d.contentHash AS hash, d.factKeys AS facts, collect(c.id) AS chunks
