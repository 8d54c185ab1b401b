-- 12. Critical events in time order over [since, until): emergencies, risk, unprotected
-- positions, and every CRITICAL or ERROR event. The first 100, with the total.
-- (event_type || '') and (severity || '') keep the planner on the created_at range: the
-- work is the window's whatever the history holds (the event_type index spans all of it).
SELECT e.created_at, e.event_type, e.severity, e.symbol, e.exchange,
       left(coalesce(e.error_message, e.event_data ->> 'reason', e.event_data ->> 'error', ''),
            120) AS detail,
       count(*) OVER () AS total
FROM :"schema".:"events_table" AS e
WHERE e.created_at >= :'since'::timestamptz AND e.created_at < :'until'::timestamptz
  AND ((e.severity || '') IN ('ERROR', 'CRITICAL')
       OR (e.event_type || '') = ANY (:'alert_types'::text[]))
ORDER BY e.created_at, e.id
LIMIT 100;
