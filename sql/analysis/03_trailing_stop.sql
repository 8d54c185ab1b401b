-- 3. Trailing-stop events over [since, until): activations, updates, stop-loss moves.
-- (event_type || '') and (severity || '') keep the planner on the created_at range: the
-- work is the window's whatever the history holds (the event_type index spans all of it).
SELECT count(*) FILTER (WHERE e.event_type = 'trailing_stop_activated') AS activations,
       count(*) FILTER (WHERE e.event_type = 'trailing_stop_updated') AS updates,
       count(*) FILTER (WHERE e.event_type = 'trailing_stop_sl_updated') AS sl_moves,
       count(*) FILTER (WHERE e.event_type = 'trailing_stop_sl_update_failed') AS failed_moves
FROM :"schema".:"events_table" AS e
WHERE e.created_at >= :'since'::timestamptz AND e.created_at < :'until'::timestamptz
  AND (e.event_type || '') LIKE 'trailing\_stop\_%';
