// Internal: the questions whose answers employees marked unhelpful (👎) since a day, with how often —
// the knowledge engineers' gap list (chat/gaps.py) groups them with the questions the bot declined.
// @internal
// @mode read
// @param since string 起始日期（ISO，含当天）
// @param limit int 返回条数
MATCH (f:Feedback)
WHERE f.helpful = false AND f.createdAt >= $since AND f.question IS NOT NULL
RETURN f.question AS question, count(f) AS times
ORDER BY times DESC, question
LIMIT $limit
