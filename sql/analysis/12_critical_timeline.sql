-- 12. Critical events of [since, until), severity first: every CRITICAL or alert event (an
-- emergency, a risk limit, unprotected positions) and the ERROR events, identical rows grouped
-- (type, symbol, exchange, detail) with their count and first and last time. The CRITICAL and
-- alert groups are never left out; the ERROR groups are the first 100 in time.
-- (event_type || '') and (severity || '') keep the planner on the created_at range: the
-- work is the window's whatever the history holds (the event_type index spans all of it).
WITH critical AS (
    SELECT e.severity, e.event_type, e.symbol, e.exchange, e.created_at,
           left(coalesce(e.error_message, e.event_data ->> 'reason', e.event_data ->> 'error', ''),
                120) AS detail,
           (e.severity || '') = 'CRITICAL' OR (e.event_type || '') = ANY (:'alert_types'::text[])
               AS kept
    FROM :"schema".:"events_table" AS e
    WHERE e.created_at >= :'since'::timestamptz AND e.created_at < :'until'::timestamptz
      AND ((e.severity || '') IN ('ERROR', 'CRITICAL')
           OR (e.event_type || '') = ANY (:'alert_types'::text[]))
),
grouped AS (
    SELECT bool_or(kept) AS kept,
           CASE severity WHEN 'CRITICAL' THEN 1 WHEN 'ERROR' THEN 2 WHEN 'WARNING' THEN 3
                ELSE 4 END AS rank,
           severity, event_type, symbol, exchange, detail,
           count(*) AS events, min(created_at) AS first_seen, max(created_at) AS last_seen
    FROM critical
    GROUP BY severity, event_type, symbol, exchange, detail
),
numbered AS (
    SELECT g.*, row_number() OVER (PARTITION BY g.kept ORDER BY g.first_seen, g.event_type)
               AS n
    FROM grouped AS g
)
SELECT coalesce(severity, 'INFO') AS severity, event_type, symbol, exchange, detail, events,
       first_seen, last_seen
FROM numbered
WHERE kept OR n <= 100
ORDER BY NOT kept, rank, first_seen, event_type;
