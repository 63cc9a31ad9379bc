// Internal write: delete nodes by id together with their relationships.
// @internal
// @mode write
// @param ids list 要删除的节点 ID
UNWIND $ids AS id
MATCH (n:Resource {id: id})
DETACH DELETE n
