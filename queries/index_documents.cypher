// Internal: every ingested document with its content hash and access scope (the search index syncs on these).
// @internal
// @mode read
MATCH (d:Document)
RETURN d.id AS id, d.contentHash AS hash, d.name AS title, d.sourceUri AS uri, d.format AS format,
       d.accessDepartments AS departments, d.accessRoles AS roles, d.level AS level,
       d.modifiedAt AS modifiedAt, d.language AS language
