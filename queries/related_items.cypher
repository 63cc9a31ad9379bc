// Processes, forms and policies within two hops of an entity (nearest first), with the policies' documents.
// @mode read
// @param id string 实体 ID
MATCH p = (e:Resource {id: $id})-[*1..2]-(x)
WHERE (x:ApprovalProcess OR x:Form OR x:Policy) AND x.id <> $id
WITH x, min(length(p)) AS hops
OPTIONAL MATCH (x)-[:DEFINED_IN]->(d:Document)
RETURN x.id AS id, x.name AS name, labels(x) AS labels, hops, collect(d.id) AS documents
ORDER BY hops, id
