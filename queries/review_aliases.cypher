// Internal: surfaces knowledge engineers merged into an entity that still exists (they feed the gazetteer as synonyms).
// @internal
// @mode read
MATCH (d:ReviewDecision {action: 'merge'})
MATCH (e:Resource {id: d.target})
RETURN e.id AS id, d.surface AS surface
ORDER BY id, surface
