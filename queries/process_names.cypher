// Internal: every approval process's id and name (the chat lists them when an application names none).
// @internal
// @mode read
MATCH (p:ApprovalProcess)
RETURN p.id AS id, p.name AS name
ORDER BY p.id
