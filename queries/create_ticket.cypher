// Internal: open a ticket (hand-off to a human agent or a service request) raised by an employee.
// @internal
// @mode write
// @param id string 工单 ID
// @param employee string 提交人 ID
// @param title string 标题
// @param category string 类别（handoff / service / application）
// @param conversation list 对话记录（每条“角色: 内容”）
// @param found list 机器人找到的来源
// @param entities list 涉及的实体 ID
// @param at string 时间
// @param session string 对话会话 ID（客服回复送回该会话）
// @param line_documents list 每条对话所依据的文档 ID（JSON 列表，与对话记录一一对应）
// @param found_documents list 每个来源的文档 ID（与 found 一一对应）
MATCH (e:Employee {id: $employee})
MERGE (t:Resource:Ticket {id: $id})
ON CREATE SET t.name = $title, t.category = $category, t.status = 'open', t.createdAt = $at,
              t.updatedAt = $at, t.conversation = $conversation, t.found = $found,
              t.history = ['open@' + $at], t.session = $session,
              t.lineDocuments = $line_documents, t.foundDocuments = $found_documents
MERGE (t)-[:RAISED_BY]->(e)
WITH t
UNWIND $entities AS entityId
MATCH (x:Resource {id: entityId})
MERGE (t)-[:CONCERNS]->(x)
