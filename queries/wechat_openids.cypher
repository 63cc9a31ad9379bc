// Internal: the WeChat official-account openids of employees who have one.
// @internal
// @mode read
// @param ids list 员工 ID 列表
UNWIND $ids AS id
MATCH (e:Resource {id: id})
WHERE e:Employee AND e.wechatOpenId IS NOT NULL
RETURN e.id AS id, e.wechatOpenId AS openid
