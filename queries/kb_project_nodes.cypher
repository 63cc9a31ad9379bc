// Internal: the nodes a knowledge-base project loaded (its structured parts), to prune those it no longer has.
// @internal
// @mode read
// @param project string 项目名称
MATCH (n:Resource)
WHERE n.kbProject = $project
RETURN n.id AS id, labels(n) AS labels
