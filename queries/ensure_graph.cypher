// Internal: create the graph with the index every upsert relies on (a logged write; see FalkorDBStore).
// @internal
// @mode write
CREATE INDEX FOR (n:Resource) ON (n.id)
