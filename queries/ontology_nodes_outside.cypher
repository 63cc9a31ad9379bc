// Internal: nodes that have a property but lack a class: those a narrowed rdfs:domain would orphan.
// @internal
// @mode read
MATCH (n:Resource)
WHERE n.{{property}} IS NOT NULL AND NOT n{{label}}
RETURN count(n) AS n
