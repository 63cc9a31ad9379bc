// Internal: approval processes whose id, name or alias matches (exact first).
// @internal
// @mode read
// @param name string 流程名称、别名或 ID
MATCH (p:ApprovalProcess)
WHERE p.id = $name OR p.name = $name OR $name IN coalesce(p.aliases, []) OR p.name CONTAINS $name
RETURN p.id AS id, p.name AS name,
       CASE WHEN p.id = $name OR p.name = $name OR $name IN coalesce(p.aliases, []) THEN 0 ELSE 1 END AS rank
ORDER BY rank, id
