// 孤立文档：没有任何文本块链接到图谱实体的文档（抽取不到知识）/ Orphaned documents: no chunk links to any entity.
// @mode read
MATCH (d:Document)
OPTIONAL MATCH (d)-[:HAS_CHUNK]->(:Chunk)-[:MENTIONS]->(x:Resource)
WITH d, count(x) AS links
WHERE links = 0
RETURN d.id AS id, d.name AS title, d.uri AS uri
ORDER BY title
