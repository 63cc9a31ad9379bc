// Internal: every employee's sync fingerprints and, rendered as text, the properties a sync owns of them (kb.orgsync.EMPLOYEE_PROPS, in that order), so a re-load can skip unchanged people yet see hand edits (their relationships: org_employee_edges). A few strings per employee: a 20,000-person org is read in one round trip that parses quickly.
// @internal
// @mode read
MATCH (n:Employee)
RETURN n.id AS id, n.orgHash AS hash, n.orgState AS state,
       coalesce(toString(n.name), '') + '\t' + coalesce(toString(n.nameEn), '') + '\t' +
       coalesce(toString(n.email), '') + '\t' + coalesce(toString(n.mobile), '') + '\t' +
       coalesce(toString(n.level), '') + '\t' + coalesce(toString(n.hireDate), '') + '\t' +
       coalesce(toString(n.wecomUserId), '') + '\t' + coalesce(toString(n.active), '') AS props
