// Internal: how many relationships have a type (an object property an ontology change would remove).
// @internal
// @mode read
MATCH ()-[r{{type}}]->()
RETURN count(r) AS n
