// Internal write: delete candidate entities no chunk mentions any more.
// @mode write
MATCH (n:Candidate)
WHERE NOT ()-[:MENTIONS]->(n)
DETACH DELETE n
