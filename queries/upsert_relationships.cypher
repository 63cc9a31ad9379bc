// Internal write template: MERGE one relationship per (start, type, end); returns how many matched.
// @internal
// @mode write
// @param rows list [{start, end, props}]
UNWIND $rows AS row
MATCH (a:Resource {id: row.start})
MATCH (b:Resource {id: row.end})
MERGE (a)-[r{{type}}]->(b)
SET r += row.props
RETURN count(r) AS n
