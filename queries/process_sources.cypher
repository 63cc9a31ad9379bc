// Internal: what an approval process rests on — its definition and the documents of the policies that require it.
// @internal
// @mode read
// @param id string 流程 ID
MATCH (p:ApprovalProcess {id: $id})
OPTIONAL MATCH (pol:Policy)-[:REQUIRES_APPROVAL]->(p)
OPTIONAL MATCH (pol)-[:DEFINED_IN]->(d:Document)
RETURN p.name AS name, p.description AS description, p.kbProject AS project, collect(DISTINCT d.id) AS documents
