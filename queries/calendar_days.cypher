// 节假日与调休日历 / The holiday calendar: days off (workday false) and weekend days worked (workday true).
// @mode read
MATCH (d:CalendarDay)
RETURN d.id AS id, d.name AS name, toString(d.onDate) AS date, coalesce(d.workday, false) AS workday
ORDER BY date
