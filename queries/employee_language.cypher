// Internal: the language an employee chose in their profile (a Zhiku code or BCP 47 tag; null when unset).
// @internal
// @mode read
// @param id string 员工 ID
MATCH (e:Employee {id: $id})
RETURN e.language AS language
