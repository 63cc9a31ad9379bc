// 各类关系数量 / Relationship count per type.
// @mode read
MATCH ()-[r]->()
RETURN type(r) AS type, count(*) AS count
ORDER BY count DESC, type
