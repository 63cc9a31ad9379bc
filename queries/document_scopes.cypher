// Internal: every document's access scope (to decide, by the one rule in zhiku/access.py, which are hidden from a caller).
// @internal
// @mode read
MATCH (d:Document)
RETURN d.id AS id, d.accessDepartments AS departments, d.accessRoles AS roles, d.level AS level
