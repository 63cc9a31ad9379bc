// Internal: the audit record of the action that last moved an instance, and who it now waits on.
// Does nothing unless this very attempt moved it (``lastAttempt``, stamped by the transition): a lost
// compare-and-set writes nothing, even when the winner shared its idempotency key.
// @internal
// @mode write
// @param id string 审批实例 ID
// @param action string 操作 ID
// @param attempt string 本次尝试 ID（与 approval_transition 的相同）
// @param seq int 操作序号（实例版本）
// @param kind string 操作类型（submit/approve/reject/withdraw/transfer）
// @param step int 步骤序号
// @param stepName string 步骤名称
// @param employee string 操作人 ID
// @param target string 转交对象 ID（可为空）
// @param comment string 意见
// @param channel string 渠道（graphql/wecom_card/chat/wecom_oa）
// @param pending list 现在等待其审批的人
// @param at string 时间
// @param onBehalfOf string 代理或升级时被代表的原审批人（可为空）
// @param round int 步骤轮次（退回后加一）
// @param detail string 附加信息（JSON：加签方式、退回目标、@提及、超时比例）
// @param waitedHours float 该步骤开始等待至此操作的小时数（可为空）
// @param waitingOn list 操作时该实例在等待的人
MATCH (i:Resource {id: $id})
WHERE i:ApprovalInstance AND i.lastAttempt = $attempt AND i.lastAction = $action
OPTIONAL MATCH (e:Resource {id: $employee})
MERGE (a:Resource:ApprovalAction {id: $action})
ON CREATE SET a.name = $kind + '@' + $id, a.kind = $kind, a.seq = $seq, a.step = $step,
              a.stepName = $stepName, a.actor = $employee, a.actorName = coalesce(e.name, '系统'),
              a.target = $target, a.comment = $comment, a.channel = $channel, a.at = $at, a.instance = $id,
              a.onBehalfOf = $onBehalfOf, a.round = $round, a.detail = $detail,
              a.waitedHours = $waitedHours, a.waitingOn = $waitingOn,
              a.processId = i.processId
MERGE (a)-[:ACTION_ON]->(i)
FOREACH (_ IN CASE WHEN e IS NULL THEN [] ELSE [1] END | MERGE (a)-[:ACTED_BY]->(e))
WITH DISTINCT i
OPTIONAL MATCH (i)-[old:PENDING_WITH]->()
DELETE old
WITH DISTINCT i
UNWIND $pending AS pid
MATCH (p:Resource {id: pid})
MERGE (i)-[:PENDING_WITH]->(p)
