// 连接最多的实体（图谱的枢纽）/ The most connected entities (hubs), excluding documents and chunks.
// @mode read
// @param limit int=50 返回条数
MATCH (x:Resource)-[r]-()
WHERE NOT x:Chunk AND NOT x:Document
RETURN x.id AS id, x.name AS name, labels(x) AS labels, count(r) AS degree
ORDER BY degree DESC, id
LIMIT $limit
