// Internal: create an approval instance (idempotent by id: a retried submission finds the first one).
// @internal
// @mode write
// @param id string 审批实例 ID
// @param process string 流程 ID
// @param applicant string 申请人 ID
// @param name string 标题
// @param amount float 金额（元，可为空）
// @param days float 天数（可为空）
// @param reason string 事由
// @param status string 状态
// @param stepIndex int 当前步骤序号
// @param steps string 各步骤状态（JSON）
// @param action string 提交操作的 ID
// @param attempt string 本次尝试 ID
// @param at string 时间
MATCH (p:Resource {id: $process}), (e:Resource {id: $applicant})
WHERE p:ApprovalProcess AND e:Employee
MERGE (i:Resource:ApprovalInstance {id: $id})
ON CREATE SET i.name = $name, i.processId = $process, i.processName = p.name, i.applicant = $applicant,
              i.applicantName = e.name, i.amount = $amount, i.days = $days, i.reason = $reason,
              i.status = $status, i.stepIndex = $stepIndex, i.steps = $steps, i.version = 1,
              i.createdAt = $at, i.updatedAt = $at, i.lastAction = $action,
              i.lastAttempt = $attempt
MERGE (i)-[:INSTANCE_OF]->(p)
MERGE (i)-[:APPLIED_BY]->(e)
RETURN i.version AS version, i.lastAction AS lastAction
