// Internal: ingested documents whose source URI starts with a prefix (to find deleted files).
// @internal
// @mode read
// @param prefix string URI 前缀
MATCH (d:Document)
WHERE d.sourceUri STARTS WITH $prefix
RETURN d.id AS id, d.sourceUri AS uri, d.contentHash AS hash
