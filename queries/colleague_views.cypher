// Documents that colleagues in the same department viewed, most viewed first (for recommendations).
// @mode read
// @param employee string 员工 ID
// @param limit int=50 返回条数
MATCH (me:Employee {id: $employee})-[:BELONGS_TO]->(dept:Department)<-[:BELONGS_TO]-(peer:Employee)
WHERE peer.id <> me.id
MATCH (peer)-[v:VIEWED]->(d:Document)
RETURN d.id AS document, d.name AS title, sum(v.count) AS views, count(DISTINCT peer) AS colleagues
ORDER BY colleagues DESC, views DESC
LIMIT $limit
