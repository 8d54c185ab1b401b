-- 5. Latency (ms) of every event type that carries the duration field, over [since, until).
SELECT e.event_type,
       count(*) AS samples,
       round(avg((e.event_data ->> :'latency_key')::float8)::numeric, 2) AS avg_ms,
       round(percentile_cont(0.5) WITHIN GROUP
             (ORDER BY (e.event_data ->> :'latency_key')::float8)::numeric, 2) AS p50_ms,
       round(percentile_cont(0.95) WITHIN GROUP
             (ORDER BY (e.event_data ->> :'latency_key')::float8)::numeric, 2) AS p95_ms,
       round(percentile_cont(0.99) WITHIN GROUP
             (ORDER BY (e.event_data ->> :'latency_key')::float8)::numeric, 2) AS p99_ms,
       round(max((e.event_data ->> :'latency_key')::float8)::numeric, 2) AS max_ms
FROM :"schema".:"events_table" AS e
WHERE e.created_at >= :'since'::timestamptz AND e.created_at < :'until'::timestamptz
  AND e.event_type <> ALL (:'high_rate_types'::text[])
  AND jsonb_typeof(e.event_data -> :'latency_key') = 'number'
GROUP BY e.event_type
ORDER BY avg_ms DESC;
