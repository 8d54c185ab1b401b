-- 1. Positions opened in [since, until) by their status now.
SELECT p.status, count(*) AS positions
FROM :"schema".:"positions_table" AS p
WHERE p.opened_at >= :'since'::timestamptz AND p.opened_at < :'until'::timestamptz
GROUP BY p.status
ORDER BY positions DESC, p.status;
