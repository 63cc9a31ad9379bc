// 审核决定：知识工程师合并、转正、驳回待审核实体和解决事实冲突的记录（谁、何时、做了什么），最新的在前；只列调用者可读文档中的 / Review decisions (who, when, what), newest first.
// @mode read
// @param action string? 只列这种决定（merge、accept、reject、resolve、delete、reingest、keep；可为空）
// @param limit int=50 返回条数
// @param hidden_documents list 调用者不可见的文档 / documents the caller may not read
MATCH (d:ReviewDecision)
WHERE ($action IS NULL OR d.action = $action)
  AND (size(coalesce(d.documents, [])) = 0 OR any(doc IN d.documents WHERE NOT doc IN $hidden_documents))
RETURN d.id AS id, d.action AS action, d.surface AS surface, d.candidateId AS candidateId,
       d.candidateType AS candidateType, d.target AS target, d.entityClass AS entityClass,
       d.source AS source, d.chosen AS chosen, d.decidedBy AS decidedBy, d.decidedAt AS decidedAt,
       d.note AS note, d.docDepartments AS docDepartments, d.docRoles AS docRoles, d.docLevel AS docLevel
ORDER BY decidedAt DESC, id DESC
LIMIT $limit
