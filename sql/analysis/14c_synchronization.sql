-- 14. Data integrity: the bot's synchronization with the exchanges over [since, until), by
-- event type and exchange (phantom positions, missing positions added, quantity mismatches),
-- with first and last seen.
-- (event_type || '') keeps the planner on the created_at range (see 04_errors.sql).
SELECT e.event_type,
       coalesce(e.exchange, e.event_data ->> 'exchange', 'unknown') AS exchange,
       count(*) AS events,
       min(e.created_at) AS first_seen,
       max(e.created_at) AS last_seen
FROM :"schema".:"events_table" AS e
WHERE e.created_at >= :'since'::timestamptz AND e.created_at < :'until'::timestamptz
  AND (e.event_type || '') = ANY (:'sync_types'::text[])
GROUP BY 1, 2
ORDER BY 1, 2;
