// Internal: every employee's sync fingerprints and, rendered as text, what a sync owns of them (the properties in kb.orgsync.EMPLOYEE_PROPS, in that order, and the org relationships), so a re-load can skip unchanged people yet see hand edits. One row per employee of a few strings: a 20,000-person org is read in one round trip that parses quickly.
// @internal
// @mode read
// @param types list 受同步管理的关系类型
MATCH (n:Employee)
OPTIONAL MATCH (n)-[r]->(m)
WHERE type(r) IN $types
WITH n, collect(type(r) + ' ' + m.id) AS out
RETURN n.id AS id, n.orgHash AS hash, n.orgState AS state,
       coalesce(toString(n.name), '') + '\t' + coalesce(toString(n.nameEn), '') + '\t' +
       coalesce(toString(n.email), '') + '\t' + coalesce(toString(n.mobile), '') + '\t' +
       coalesce(toString(n.level), '') + '\t' + coalesce(toString(n.hireDate), '') + '\t' +
       coalesce(toString(n.wecomUserId), '') + '\t' + coalesce(toString(n.active), '') AS props,
       reduce(s = '', e IN out | s + e + '\n') AS edges
