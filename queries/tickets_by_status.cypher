// 工单概况：按类别与状态计数 / Tickets by category and status.
// @mode read
MATCH (t:Ticket)
RETURN t.category AS category, t.status AS status, count(t) AS tickets
ORDER BY category, status
