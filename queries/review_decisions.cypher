// 审核决定：知识工程师合并、转正、驳回待审核实体和解决事实冲突的记录（谁、何时、做了什么），最新的在前；只列调用者可读文档中的 / Review decisions (who, when, what), newest first.
// @mode read
// @param action string? 只列这种决定（merge、accept、reject、resolve、delete、reingest、keep；可为空）
// @param limit int=50 返回条数
// @param hidden_documents list 调用者不可见的文档 / documents the caller may not read
// @param admin boolean 调用者是否为管理员
// @param level int 调用者职级
// @param departments list 调用者所在部门（含上级部门）
// @param roles list 调用者角色
// @param private list 调用者不可见的记录标签（审核决定仅知识工程师与管理员可见）
// A deleted document's record keeps a copy of its scope (docLevel, docDepartments, docRoles): shown only to
// whoever could have read the document — the same rule as zhiku.access.admits_parts, applied here so that
// every path (reviewDecisions and namedQuery alike) filters before the LIMIT.
MATCH (d:ReviewDecision)
WHERE ($admin OR none(l IN labels(d) WHERE l IN $private))
  AND ($action IS NULL OR d.action = $action)
  AND (size(coalesce(d.documents, [])) = 0 OR any(doc IN d.documents WHERE NOT doc IN $hidden_documents))
  AND (d.docLevel IS NULL OR $admin OR (d.docLevel <= $level AND (
        (size(coalesce(d.docDepartments, [])) = 0 AND size(coalesce(d.docRoles, [])) = 0)
        OR any(x IN $departments WHERE x IN coalesce(d.docDepartments, []))
        OR any(r IN $roles WHERE r IN coalesce(d.docRoles, [])))))
RETURN d.id AS id, d.action AS action, d.surface AS surface, d.candidateId AS candidateId,
       d.candidateType AS candidateType, d.target AS target, d.entityClass AS entityClass,
       d.source AS source, d.chosen AS chosen, d.decidedBy AS decidedBy, d.decidedAt AS decidedAt,
       d.note AS note, d.docDepartments AS docDepartments, d.docRoles AS docRoles, d.docLevel AS docLevel
ORDER BY decidedAt DESC, id DESC
LIMIT $limit
