// 各类节点数量 / Node count per label.
// @mode read
MATCH (n)
UNWIND labels(n) AS label
RETURN label, count(*) AS count
ORDER BY count DESC, label
