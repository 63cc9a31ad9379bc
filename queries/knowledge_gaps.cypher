// 知识缺口：机器人答不了而转人工的工单（按涉及的主题/实体汇总）与被标为没帮助的回答 / Knowledge gaps: hand-offs the bot could not answer, by the entity they concern.
// @mode read
// @param limit int=50 返回条数
// @param hidden_documents list 调用者不可见的文档（及其文本块）/ documents the caller may not read
MATCH (t:Ticket)
WHERE t.category IN ['handoff', 'escalation']
OPTIONAL MATCH (t)-[:CONCERNS]->(x:Resource)
WHERE NOT ((x:Document AND x.id IN $hidden_documents) OR (x:Chunk AND x.documentId IN $hidden_documents))
WITH coalesce(x.name, '（未识别主题）') AS topic, count(DISTINCT t) AS handoffs, collect(DISTINCT t.name)[..3] AS examples
RETURN topic, handoffs, examples
ORDER BY handoffs DESC, topic
LIMIT $limit
