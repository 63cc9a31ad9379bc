// Internal write template: add extracted facts with provenance (chunk ids) and their best confidence.
// @internal
// A relationship that existed before extraction (loaded from curated data) is marked curated and is
// never deleted when its supporting documents go away.
// @mode write
// @param rows list [{start, end, chunks, confidence, sentence, props}]
UNWIND $rows AS row
MATCH (a:Resource {id: row.start})
MATCH (b:Resource {id: row.end})
MERGE (a)-[r{{type}}]->(b)
ON CREATE SET r.curated = false
ON MATCH SET r.curated = coalesce(r.curated, r.chunkIds IS NULL)
SET r.chunkIds = coalesce(r.chunkIds, []) + [c IN row.chunks WHERE NOT c IN coalesce(r.chunkIds, [])],
    r.confidence = CASE WHEN coalesce(r.confidence, 0.0) > row.confidence THEN r.confidence ELSE row.confidence END,
    r.extracted = true,
    r.sentence = row.sentence
SET r += row.props
RETURN count(r) AS n
