-- 2. Initial stop-loss latency of the positions opened in [since, until): from the opening to
-- the first stop-loss event, in seconds.
WITH latency AS (
    SELECT extract(epoch FROM s.at - p.opened_at::timestamptz)::float8 AS seconds
    FROM :"schema".:"positions_table" AS p
    JOIN LATERAL (
        SELECT min(e.created_at) AS at FROM :"schema".:"events_table" AS e
        WHERE e.position_id = p.id AND e.event_type = ANY (:'stop_loss_types'::text[])
    ) AS s ON s.at IS NOT NULL
    WHERE p.opened_at >= :'since'::timestamptz AND p.opened_at < :'until'::timestamptz
)
SELECT count(*) AS positions,
       round(avg(seconds)::numeric, 3) AS avg_s,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds)::numeric, 3) AS p50_s,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY seconds)::numeric, 3) AS p95_s,
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY seconds)::numeric, 3) AS p99_s,
       round(max(seconds)::numeric, 3) AS max_s
FROM latency;
