// Internal: an employee's feedback on an answer (knowledge gaps come from the unhelpful ones).
// @internal
// @mode write
// @param id string 反馈 ID
// @param employee string 员工 ID
// @param answer string 答案 ID
// @param question string 问题
// @param helpful boolean 是否有帮助
// @param comment string 评论
// @param at string 时间
MATCH (e:Employee {id: $employee})
MERGE (f:Resource:Feedback {id: $id})
SET f.answerId = $answer, f.question = $question, f.helpful = $helpful, f.comment = $comment, f.createdAt = $at,
    f.name = $question
MERGE (f)-[:GIVEN_BY]->(e)
