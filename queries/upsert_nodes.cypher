// Internal write template: MERGE nodes by id and merge their properties (null removes one).
// @internal
// @mode write
// @param rows list [{id, props}]
UNWIND $rows AS row
MERGE (n:Resource {id: row.id})
{{set_labels}}
SET n += row.props
