// Internal: who takes over a departed approver's pending step — their superiors (nearest first), then the process owner (an employee, or the head of the owning department).
// @internal
// @mode read
// @param employee string 离职员工 ID
// @param process string 流程 ID
MATCH (e:Employee {id: $employee})
OPTIONAL MATCH path = (e)-[:REPORTS_TO*1..8]->(m:Employee)
WITH e, m, length(path) AS depth
ORDER BY depth
WITH collect(CASE WHEN m IS NULL THEN NULL ELSE {id: m.id, name: m.name, active: coalesce(m.active, true)} END) AS managers
OPTIONAL MATCH (p:ApprovalProcess {id: $process})-[:OWNED_BY]->(o:Resource)
OPTIONAL MATCH (o)<-[:HEAD_OF]-(h:Employee)
WITH managers, o, h
RETURN managers,
       collect(CASE WHEN o:Employee THEN {id: o.id, name: o.name, active: coalesce(o.active, true)}
                    WHEN h IS NULL THEN NULL
                    ELSE {id: h.id, name: h.name, active: coalesce(h.active, true)} END) AS owners
