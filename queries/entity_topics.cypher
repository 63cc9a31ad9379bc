// 实体所属主题（制度、流程的 hasTopic）/ The topics each policy or process is filed under (zk:hasTopic).
// @mode read
// @internal
MATCH (x)-[:HAS_TOPIC]->(t:Topic)
WHERE x:Policy OR x:ApprovalProcess
RETURN x.id AS id, collect(DISTINCT t.id) AS topics
