// 按类型和名称列出实体（分页，按调用者权限过滤文档）/ Entities by type and name, a page at a time.
// @mode read
// @param type string? 本体类（可为空）
// @param name string? 名称包含（可为空）
// @param skip int=0 跳过条数
// @param limit int=50 返回条数
// @param admin boolean 调用者是否为管理员
// @param level int 调用者职级
// @param departments list 调用者所在部门（含上级部门）
// @param roles list 调用者角色
// @param private list 私有记录的标签（工单、审批实例等，仅管理员可列出）
MATCH (n:Resource)
WHERE NOT n:Chunk
  AND ($admin OR none(l IN labels(n) WHERE l IN $private))
  AND ($type IS NULL OR $type IN labels(n))
  AND ($name IS NULL OR n.name CONTAINS $name OR n.nameEn CONTAINS $name OR $name IN coalesce(n.aliases, []))
  AND (NOT n:Document OR $admin OR (coalesce(n.level, 0) <= $level AND (
        (size(coalesce(n.accessDepartments, [])) = 0 AND size(coalesce(n.accessRoles, [])) = 0)
        OR any(d IN $departments WHERE d IN coalesce(n.accessDepartments, []))
        OR any(r IN $roles WHERE r IN coalesce(n.accessRoles, [])))))
RETURN n.id AS id, labels(n) AS labels, properties(n) AS properties
ORDER BY n.id
SKIP $skip
LIMIT $limit
