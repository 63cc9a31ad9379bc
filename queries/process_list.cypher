// 审批流程列表（可按名称、主题、归口部门筛选）/ Approval processes, filtered by name, topic or owner.
// @mode read
// @param name string? 名称或别名包含（可为空）
// @param topic string? 主题 ID（可为空）
// @param owner string? 归口部门 ID（可为空）
MATCH (p:ApprovalProcess)
OPTIONAL MATCH (p)-[:HAS_TOPIC]->(t:Topic)
OPTIONAL MATCH (p)-[:OWNED_BY]->(o:Department)
WITH p, collect(DISTINCT t.id) AS topics, collect(DISTINCT o.id) AS owners
WHERE ($name IS NULL OR p.name CONTAINS $name OR any(a IN coalesce(p.aliases, []) WHERE a CONTAINS $name))
  AND ($topic IS NULL OR $topic IN topics)
  AND ($owner IS NULL OR $owner IN owners)
RETURN p.id AS id
ORDER BY p.id
