// Internal: how many nodes have a property set (a datatype property an ontology change would remove or retype).
// @internal
// @mode read
MATCH (n:Resource)
WHERE n.{{property}} IS NOT NULL
RETURN count(n) AS n
