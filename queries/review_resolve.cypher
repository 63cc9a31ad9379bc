// Internal write template: settle a fact whose sources disagreed — the chosen source's values, no conflict notes left.
// @internal
// @mode write
// @param start string 起点 ID
// @param end string 终点 ID
// @param props map 选定来源的取值
MATCH (a:Resource {id: $start})-[r{{type}}]->(b:Resource {id: $end})
SET r += $props
SET r.conflicts = NULL
RETURN count(r) AS n
