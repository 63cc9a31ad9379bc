// 被标为“没帮助”的回答：问题、提问人部门、评论 / Answers employees marked unhelpful, newest first.
// @mode read
// @param limit int=50 返回条数
MATCH (f:Feedback {helpful: false})-[:GIVEN_BY]->(e:Employee)
OPTIONAL MATCH (e)-[:BELONGS_TO]->(d:Department)
RETURN f.question AS question, d.name AS department, f.comment AS comment, f.createdAt AS at
ORDER BY at DESC
LIMIT $limit
