// Internal: the employee a WeCom member (userid) is (wecomUserId, or the same id).
// @internal
// @mode read
// @param userid string 企业微信 userid
MATCH (e:Employee)
WHERE e.wecomUserId = $userid OR e.id = $userid
RETURN e.id AS id
ORDER BY CASE WHEN e.wecomUserId = $userid THEN 0 ELSE 1 END
LIMIT 1
