// Internal write: record a knowledge engineer's review decision (who, when, what), linked to the employee who made it.
// @internal
// @mode write
// @param id string 决定 ID
// @param props map 决定的内容（action、surface、target、decidedBy、decidedAt…）
// @param by string 决定人（员工 ID；命令行为 cli:用户名）
MERGE (d:Resource:ReviewDecision {id: $id})
SET d += $props
WITH d
MATCH (e:Employee {id: $by})
MERGE (d)-[:DECIDED_BY]->(e)
RETURN count(d) AS n
