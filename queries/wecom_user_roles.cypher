// Internal: WeCom userid → an approver role by position that person holds, with how many active people
// hold that position (the WeCom template importer maps a named approver to a role only when it is one).
// @internal
// @mode read
MATCH (e:Employee)-[:HAS_POSITION]->(p:Position)<-[:RESOLVES_TO]-(ar:ApproverRole)
WHERE e.wecomUserId IS NOT NULL AND ar.relation = 'position' AND coalesce(e.active, true) = true
MATCH (h:Employee)-[:HAS_POSITION]->(p)
WHERE coalesce(h.active, true) = true
RETURN e.wecomUserId AS userid, ar.id AS role, count(DISTINCT h) AS holders
