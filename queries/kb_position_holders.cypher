// Internal: the active employees holding each of some positions (a load refuses a process step whose approver role resolves to nobody).
// @internal
// @mode read
// @param positions list 职位 ID
UNWIND $positions AS id
MATCH (p:Position {id: id})<-[:HAS_POSITION]-(e:Employee)
WHERE e.active IS NULL OR e.active = true
RETURN p.id AS position, collect(e.id) AS holders
