// Internal: the documents an employee has viewed.
// @internal
// @mode read
// @param employee string 员工 ID
MATCH (:Employee {id: $employee})-[:VIEWED]->(d:Document)
RETURN d.id AS document
