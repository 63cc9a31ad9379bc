// Internal write: delete candidate entities (with their mentions) once a knowledge engineer decided about them.
// @internal
// @mode write
// @param ids list 待审核实体 ID
MATCH (c:Candidate)
WHERE c.id IN $ids
DETACH DELETE c
