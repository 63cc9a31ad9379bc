// 待审核实体：抽取时未能链接的提及，按出现次数排序（只计调用者可读的文档）/ Candidate entities awaiting review, most mentioned first (in documents the caller may read).
// @mode read
// @param hidden_documents list 调用者不可见的文档 / documents the caller may not read
MATCH (c:Candidate)<-[m:MENTIONS]-(ch:Chunk)
WHERE NOT ch.documentId IN $hidden_documents
RETURN c.id AS id, c.name AS name, c.candidateType AS type, toInteger(sum(m.count)) AS mentions,
       collect(DISTINCT ch.documentId)[..3] AS documents
ORDER BY mentions DESC, name
