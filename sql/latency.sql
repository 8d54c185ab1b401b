-- Latency statistics (ms) of events that carry a duration in event_data, over [$1, $2).
--   $1 window start   $2 window end   $3 event types (text[])   $4 event_data key (text)
SELECT count(ms) AS samples,
       avg(ms) AS avg_ms,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) AS p95_ms,
       max(ms) AS max_ms
FROM (
    SELECT (e.:"ev_event_data" ->> $4::text)::float8 AS ms
    FROM :"schema".:"events_table" AS e
    WHERE e.:"ev_created_at" >= $1::timestamptz AND e.:"ev_created_at" < $2::timestamptz
      AND e.:"ev_event_type" = ANY ($3::text[])
      AND jsonb_typeof(e.:"ev_event_data" -> $4::text) = 'number'
) AS timed;
