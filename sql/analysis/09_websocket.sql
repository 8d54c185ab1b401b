-- 9. WebSocket events the bot wrote over [since, until) (it mostly reports them in its log).
-- (event_type || '') and (severity || '') keep the planner on the created_at range: the
-- work is the window's whatever the history holds (the event_type index spans all of it).
SELECT e.event_type, coalesce(e.exchange, 'unknown') AS exchange, count(*) AS events,
       min(e.created_at) AS first_seen, max(e.created_at) AS last_seen
FROM :"schema".:"events_table" AS e
WHERE e.created_at >= :'since'::timestamptz AND e.created_at < :'until'::timestamptz
  AND (e.event_type || '') LIKE 'websocket\_%'
GROUP BY 1, 2
ORDER BY 1, 2;
