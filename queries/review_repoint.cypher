// Internal write: move a candidate's mentions to an entity (merged into it, or accepted as it).
// @internal
// A chunk that already mentions the entity adds the candidate's count and surfaces to that mention.
// @mode write
// @param candidate string 待审核实体 ID
// @param target string 实体 ID
// @param type string 提及类型（实体的）
MATCH (e:Resource {id: $target})
MATCH (ch:Chunk)-[m:MENTIONS]->(c:Candidate {id: $candidate})
MERGE (ch)-[n:MENTIONS]->(e)
SET n.count = coalesce(n.count, 0) + coalesce(m.count, 1),
    n.surfaces = coalesce(n.surfaces, []) + [s IN coalesce(m.surfaces, []) WHERE NOT s IN coalesce(n.surfaces, [])],
    n.type = $type, n.source = 'review', n.confidence = 1.0
DELETE m
RETURN count(n) AS n
