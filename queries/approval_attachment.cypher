// Internal: the application an attachment (its ``attach`` audit record's id) belongs to.
// @internal
// @mode read
// @param id string 附件 ID
MATCH (a:Resource {id: $id})
WHERE a:ApprovalAction AND a.kind = 'attach'
RETURN a.instance AS instance
