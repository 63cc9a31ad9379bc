// Internal: documents that share an approval process or a topic with a document (through their policies).
// @internal
// @mode read
// @param id string 文档 ID
MATCH (:Document {id: $id})<-[:DEFINED_IN]-(p:Policy)-[:REQUIRES_APPROVAL|HAS_TOPIC]->(x)
MATCH (x)<-[:REQUIRES_APPROVAL|HAS_TOPIC]-(other:Policy)-[:DEFINED_IN]->(d:Document)
WHERE d.id <> $id
RETURN d.id AS document, collect(DISTINCT x.id) AS shared
