// Internal write: delete candidate entities no chunk mentions any more.
// @internal
// @mode write
MATCH (n:Candidate)
WHERE NOT ()-[:MENTIONS]->(n)
DETACH DELETE n
