// Internal: the WeCom userids of employees (in the order given).
// @internal
// @mode read
// @param ids list 员工 ID 列表
UNWIND $ids AS id
MATCH (e:Resource {id: id})
WHERE e:Employee
RETURN e.id AS id, coalesce(e.wecomUserId, e.id) AS userid
