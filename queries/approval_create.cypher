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
// @param processVersion int 流程定义版本
// @param policy string 时限与超时处理（JSON）
// @param cc string 抄送（JSON）
// @param absence boolean 是否请假类申请（通过后期间由代理人审批）
// @param periodStart string 请假开始（可为空）
// @param periodEnd string 请假结束（不含，可为空）
// @param delegate string 请假期间的代理人（可为空）
MATCH (p:Resource {id: $process}), (e:Resource {id: $applicant})
WHERE p:ApprovalProcess AND e:Employee
MERGE (i:Resource:ApprovalInstance {id: $id})
ON CREATE SET i.name = $name, i.processId = $process, i.processName = p.name, i.applicant = $applicant,
              i.applicantName = e.name, i.amount = $amount, i.days = $days, i.reason = $reason,
              i.status = $status, i.stepIndex = $stepIndex, i.steps = $steps, i.version = 1,
              i.createdAt = $at, i.updatedAt = $at, i.lastAction = $action,
              i.lastAttempt = $attempt, i.processVersion = $processVersion, i.policy = $policy,
              i.cc = $cc, i.absence = $absence, i.periodStart = $periodStart, i.periodEnd = $periodEnd,
              i.delegate = $delegate
MERGE (i)-[:INSTANCE_OF]->(p)
MERGE (i)-[:APPLIED_BY]->(e)
RETURN i.version AS version, i.lastAction AS lastAction
