// 待审核实体：抽取时未能链接的提及，按出现次数排序 / Candidate entities awaiting review, most mentioned first.
// @mode read
MATCH (c:Candidate)<-[m:MENTIONS]-(ch:Chunk)
RETURN c.id AS id, c.name AS name, c.candidateType AS type, toInteger(sum(m.count)) AS mentions,
       collect(DISTINCT ch.documentId)[..3] AS documents
ORDER BY mentions DESC, name
