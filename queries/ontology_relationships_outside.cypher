// Internal: relationships of a type whose end (or start) node lacks a class: those a narrowed
// rdfs:range (or rdfs:domain) would orphan. {{end}} is `b` for the range, `a` for the domain.
// @internal
// @mode read
MATCH (a)-[r{{type}}]->(b)
WHERE NOT {{end}}{{label}}
RETURN count(r) AS n
