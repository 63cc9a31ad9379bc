// Internal read template: the current properties of facts (to tell enrichment from a conflict).
// @internal
// @mode read
// @param rows list [{start, end}]
UNWIND $rows AS row
MATCH (a:Resource {id: row.start})-[r{{type}}]->(b:Resource {id: row.end})
RETURN row.start AS start, row.end AS end, properties(r) AS props
