// Internal: one candidate entity with the documents that mention it (for a review decision).
// @internal
// @mode read
// @param id string 待审核实体 ID
MATCH (c:Candidate {id: $id})
OPTIONAL MATCH (ch:Chunk)-[:MENTIONS]->(c)
RETURN c.id AS id, c.name AS name, c.candidateType AS type,
       [d IN collect(DISTINCT ch.documentId) WHERE d IS NOT NULL] AS documents
