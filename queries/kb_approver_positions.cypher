// Internal: for approver roles in the graph, how each resolves (relation) and the position it resolves to, so a load can tell a process step no one can approve.
// @internal
// @mode read
// @param roles list 审批角色 ID
UNWIND $roles AS id
MATCH (r:ApproverRole {id: id})
OPTIONAL MATCH (r)-[:RESOLVES_TO]->(p:Position)
RETURN r.id AS role, r.name AS name, r.relation AS relation, p.id AS position
