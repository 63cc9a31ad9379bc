// Internal: move an approval instance to its next state — only if no one else moved it first
// (compare-and-set on version; the lock is taken before the version is read, so Neo4j too
// serialises two approvers acting at the same moment).
// @internal
// @mode write
// @param id string 审批实例 ID
// @param version int 读取时的版本
// @param status string 新状态
// @param stepIndex int 新的当前步骤序号
// @param steps string 各步骤状态（JSON）
// @param action string 本次操作 ID
// @param attempt string 本次尝试 ID（审计记录只由赢得比较并交换的尝试写入）
// @param at string 时间
MATCH (i:Resource {id: $id})
WHERE i:ApprovalInstance
SET i.lockedAt = $at
WITH i
WHERE i.version = $version
SET i.version = $version + 1, i.status = $status, i.stepIndex = $stepIndex, i.steps = $steps,
    i.updatedAt = $at, i.lastAction = $action, i.lastAttempt = $attempt
RETURN i.version AS version
