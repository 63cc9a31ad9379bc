// 文档的全部文本块（按顺序，带标题路径与锚点）/ A document's chunks in order, with heading paths and anchors.
// @internal
// @mode read
// @param id string 文档 ID
MATCH (d:Document {id: $id})-[:HAS_CHUNK]->(c:Chunk)
RETURN c.id AS id, c.text AS text, c.headingPath AS heading, c.kind AS kind, c.ordinal AS ordinal,
       c.anchor AS anchor
ORDER BY c.ordinal
