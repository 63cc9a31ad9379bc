// Internal: the candidate entities with this name (any mention type), and the documents that mention them.
// @internal
// @mode read
// @param name string 名称
MATCH (c:Candidate {name: $name})
OPTIONAL MATCH (ch:Chunk)-[:MENTIONS]->(c)
RETURN c.id AS id, [d IN collect(DISTINCT ch.documentId) WHERE d IS NOT NULL] AS documents
