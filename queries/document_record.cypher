// Internal: one document by ID or by source URI — its title, URI, access scope and content hash.
// @internal
// @mode read
// @param id string 文档 ID 或来源 URI
MATCH (d:Document)
WHERE d.id = $id OR d.sourceUri = $id
RETURN d.id AS id, d.name AS title, d.sourceUri AS uri, d.accessDepartments AS departments,
       d.accessRoles AS roles, d.level AS level, d.contentHash AS hash, d.chunkCount AS chunks
LIMIT 1
