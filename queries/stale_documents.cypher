// 过期文档：修改时间早于某日期（或未知）的文档 / Stale documents: modified before a date, or never dated.
// @mode read
// @param before string 日期（ISO，如 2025-01-01）
MATCH (d:Document)
WHERE d.modifiedAt IS NULL OR d.modifiedAt < $before
RETURN d.id AS id, d.name AS title, d.uri AS uri, d.modifiedAt AS modifiedAt
ORDER BY modifiedAt, title
