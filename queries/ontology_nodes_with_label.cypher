// Internal: how many nodes carry a label (a class an ontology change would remove).
// @internal
// @mode read
MATCH (n{{label}})
RETURN count(n) AS n
