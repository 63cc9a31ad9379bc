// Internal: the review decisions ingestion follows — surfaces rejected, candidates merged into or accepted as an entity that still exists — oldest first.
// @internal
// @mode read
MATCH (d:ReviewDecision)
WHERE d.action IN ['merge', 'accept', 'reject']
OPTIONAL MATCH (e:Resource {id: d.target})
WITH d, e
WHERE d.action = 'reject' OR e IS NOT NULL
RETURN d.action AS action, d.surface AS surface, d.candidateId AS candidate, d.target AS target
ORDER BY d.decidedAt, d.id
