-- 3. Trailing-stop events over [since, until): activations, moves of the stop (the update rows
-- that are a move: see sql/ts_updates.sql), skipped moves, stop-loss orders moved, failures.
-- (event_type || '') and (severity || '') keep the planner on the created_at range: the
-- work is the window's whatever the history holds (the event_type index spans all of it).
SELECT count(*) FILTER (WHERE e.event_type = 'trailing_stop_activated') AS activations,
       count(*) FILTER (WHERE e.event_type = ANY (:'ts_update_types'::text[])
                          AND (:'ts_move_key' = '' OR e.event_data ? :'ts_move_key')
                          AND (:'ts_skip_key' = '' OR NOT e.event_data ? :'ts_skip_key'))
           AS moves,
       count(*) FILTER (WHERE e.event_type = ANY (:'ts_update_types'::text[])
                          AND :'ts_skip_key' <> '' AND e.event_data ? :'ts_skip_key')
           AS skipped,
       count(*) FILTER (WHERE e.event_type = 'trailing_stop_sl_updated') AS sl_moves,
       count(*) FILTER (WHERE e.event_type = 'trailing_stop_sl_update_failed') AS failed_moves
FROM :"schema".:"events_table" AS e
WHERE e.created_at >= :'since'::timestamptz AND e.created_at < :'until'::timestamptz
  AND (e.event_type || '') LIKE 'trailing\_stop\_%';
