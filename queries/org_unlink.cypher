// Internal: remove org relationships a sync no longer wants (a changed manager, department, position or role).
// @internal
// @mode write
// @param rows list [{start, type, end}]
UNWIND $rows AS row
MATCH (a:Resource {id: row.start})-[r]->(b:Resource {id: row.end})
WHERE type(r) = row.type
DELETE r
RETURN count(*) AS n
