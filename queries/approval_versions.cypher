// 审批实例所用的流程版本：每个流程各版本的实例数与进行中的数量 / Which definition version instances run.
// @mode read
// @param process string? 流程 ID（可为空）
MATCH (i:ApprovalInstance)
WHERE $process IS NULL OR i.processId = $process
OPTIONAL MATCH (p:ApprovalProcess {id: i.processId})
RETURN i.processId AS processId, i.processName AS process, coalesce(i.processVersion, 0) AS version,
       p.definitionVersion AS currentVersion, count(i) AS instances,
       sum(CASE WHEN i.status IN ['pending', 'returned'] THEN 1 ELSE 0 END) AS open
ORDER BY processId, version
