-- 7. Zombie orders over [since, until) by exchange and reason.
-- (event_type || '') and (severity || '') keep the planner on the created_at range: the
-- work is the window's whatever the history holds (the event_type index spans all of it).
SELECT coalesce(e.exchange, e.event_data ->> 'exchange', 'unknown') AS exchange,
       e.event_type,
       coalesce(e.event_data ->> 'reason', e.error_message, '') AS reason,
       count(*) AS events
FROM :"schema".:"events_table" AS e
WHERE e.created_at >= :'since'::timestamptz AND e.created_at < :'until'::timestamptz
  AND (e.event_type || '') = ANY (:'zombie_types'::text[])
GROUP BY 1, 2, 3
ORDER BY events DESC, 1, 2, 3;
