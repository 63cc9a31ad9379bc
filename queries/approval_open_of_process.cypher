// Internal: the open approval instances of a process (pending or sent back), with their steps.
// @internal
// @mode read
// @param process string 流程 ID
MATCH (i:ApprovalInstance {processId: $process})
WHERE i.status IN ['pending', 'returned']
RETURN i.id AS id, i.name AS name, i.steps AS steps, i.stepIndex AS stepIndex, i.processVersion AS version
ORDER BY id
