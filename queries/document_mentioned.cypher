// Internal: the entities (not candidates) a document's chunks mention.
// @internal
// @mode read
// @param id string 文档 ID
MATCH (:Document {id: $id})-[:HAS_CHUNK]->(:Chunk)-[:MENTIONS]->(e:Resource)
WHERE NOT e:Candidate
RETURN DISTINCT e.id AS id
