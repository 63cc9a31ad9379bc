// 无负责人的制度：没有 ownedBy 的制度，以及它们约束的流程数 / Policies with no owner.
// @mode read
MATCH (p:Policy)
WHERE NOT (p)-[:OWNED_BY]->()
OPTIONAL MATCH (p)-[:GOVERNS]->(x)
RETURN p.id AS id, p.name AS policy, count(x) AS governs
ORDER BY policy
