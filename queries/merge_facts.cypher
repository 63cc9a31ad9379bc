// Internal write template: add extracted facts with provenance (chunk ids) and their best confidence.
// @internal
// A relationship that existed before extraction (loaded from curated data) is marked curated and is
// never deleted when its supporting documents go away. A document that disagrees with the values
// other sources already gave (``conflict``: "docId|mode: 会签 ≠ 依次") adds a note, not its values.
// @mode write
// @param rows list [{start, end, chunks, confidence, sentence, props, conflict}]
UNWIND $rows AS row
MATCH (a:Resource {id: row.start})
MATCH (b:Resource {id: row.end})
MERGE (a)-[r{{type}}]->(b)
ON CREATE SET r.curated = false
ON MATCH SET r.curated = coalesce(r.curated, r.chunkIds IS NULL)
SET r.chunkIds = coalesce(r.chunkIds, []) + [c IN row.chunks WHERE NOT c IN coalesce(r.chunkIds, [])],
    r.confidence = CASE WHEN coalesce(r.confidence, 0.0) > row.confidence THEN r.confidence ELSE row.confidence END,
    r.extracted = true,
    r.sentence = row.sentence,
    r.conflicts = CASE WHEN row.conflict IS NULL THEN r.conflicts ELSE coalesce(r.conflicts, []) + [row.conflict] END
SET r += row.props
RETURN count(r) AS n
