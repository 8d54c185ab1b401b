-- 1. The positions rows created in [since, until) by their status now (rows that never opened,
-- e.g. a failed entry, included: the status says so).
SELECT p.:"pos_status"::text AS status, count(*) AS positions
FROM :"schema".:"positions_table" AS p
WHERE :pos_opened_ts >= :'since'::timestamptz AND :pos_opened_ts < :'until'::timestamptz
GROUP BY p.:"pos_status"
ORDER BY positions DESC, 1;
