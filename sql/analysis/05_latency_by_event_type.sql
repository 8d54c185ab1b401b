-- 5. Latency (ms) of every event type that carries the duration field, over [since, until).
-- Each sample is read from the event data once, as the window is scanned (OFFSET 0 keeps it
-- there): only the type and the number reach the sorts, never the event data.
SELECT s.event_type,
       count(*) AS samples,
       round(avg(s.ms)::numeric, 2) AS avg_ms,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY s.ms)::numeric, 2) AS p50_ms,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY s.ms)::numeric, 2) AS p95_ms,
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY s.ms)::numeric, 2) AS p99_ms,
       round(max(s.ms)::numeric, 2) AS max_ms
FROM (
    SELECT e.event_type, (e.event_data ->> :'latency_key')::float8 AS ms
    FROM :"schema".:"events_table" AS e
    WHERE e.created_at >= :'since'::timestamptz AND e.created_at < :'until'::timestamptz
      AND e.event_type <> ALL (:'high_rate_types'::text[])
      AND jsonb_typeof(e.event_data -> :'latency_key') = 'number'
    OFFSET 0
) AS s
GROUP BY s.event_type
ORDER BY avg_ms DESC;
