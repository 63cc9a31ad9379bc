// 疑似重复实体：同名（或名称互相包含）的同类实体对，供知识工程师合并 / Possible duplicates: same-type entities whose names match or contain each other.
// @mode read
// @param limit int=50 返回条数
MATCH (a:Resource), (b:Resource)
WHERE a.id < b.id AND a.name IS NOT NULL AND b.name IS NOT NULL AND size(a.name) >= 2 AND size(b.name) >= 2
  AND labels(a) = labels(b) AND NOT a:Chunk AND NOT a:Document
  AND (a.name = b.name OR a.name CONTAINS b.name OR b.name CONTAINS a.name)
RETURN a.id AS first, a.name AS firstName, b.id AS second, b.name AS secondName, labels(a) AS labels
ORDER BY firstName
LIMIT $limit
