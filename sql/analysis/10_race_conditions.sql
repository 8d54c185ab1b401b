-- 10. Race conditions: consecutive state-changing events on one position (or one symbol and
-- exchange where position_id is NULL) less than 1 s apart, by pair of event types, with the
-- closest example. High-rate event types (one per price tick) are left out. One pass.
WITH ordered AS (
    SELECT e.id, e.event_type, e.created_at,
           coalesce(e.position_id::text, e.symbol || '@' || coalesce(e.exchange, '?')) AS subject,
           lag(e.event_type) OVER w AS previous_type,
           lag(e.created_at) OVER w AS previous_at,
           lag(e.id) OVER w AS previous_id
    FROM :"schema".:"events_table" AS e
    WHERE e.created_at >= :'since'::timestamptz AND e.created_at < :'until'::timestamptz
      AND e.event_type <> ALL (:'high_rate_types'::text[])
      AND (e.position_id IS NOT NULL OR e.symbol IS NOT NULL)
    WINDOW w AS (PARTITION BY coalesce(e.position_id::text,
                                       e.symbol || '@' || coalesce(e.exchange, '?'))
                 ORDER BY e.created_at, e.id)
),
close_pairs AS (
    SELECT previous_type, event_type, subject, previous_id, id,
           extract(epoch FROM created_at - previous_at)::float8 * 1000 AS gap_ms
    FROM ordered
    WHERE previous_at IS NOT NULL AND created_at - previous_at < interval '1 second'
)
SELECT previous_type || ' -> ' || event_type AS pair,
       count(*) AS occurrences,
       round(min(gap_ms)::numeric, 1) AS closest_ms,
       (array_agg(subject || ' (events ' || previous_id || ', ' || id || ')'
                  ORDER BY gap_ms, id))[1] AS closest_example
FROM close_pairs
GROUP BY previous_type, event_type
ORDER BY occurrences DESC, pair
LIMIT 50;
