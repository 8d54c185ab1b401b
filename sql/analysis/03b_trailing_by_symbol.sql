-- 3. Trailing stops per symbol and exchange over [since, until) (position_id is often NULL in
-- their events): moves of the stop (one per move, as sql/ts_updates.sql counts them), active
-- duration, moves a minute (the intervals between moves over the time they span, at least a
-- minute); flagged over 20 or over 1/min.
-- The state table says whether each is still active.
-- (event_type || '') and (severity || '') keep the planner on the created_at range: the
-- work is the window's whatever the history holds (the event_type index spans all of it).
SELECT u.symbol, u.exchange, u.updates,
       round(extract(epoch FROM u.last_at - u.first_at)::numeric, 1) AS active_seconds,
       round(((u.updates - 1) / greatest(extract(epoch FROM u.last_at - u.first_at) / 60, 1))
             ::numeric, 3) AS updates_per_minute,
       t.state,
       u.updates > 20
           OR (u.updates - 1) / greatest(extract(epoch FROM u.last_at - u.first_at) / 60, 1) > 1
           AS flagged
FROM (
    SELECT coalesce(e.symbol, '?') AS symbol, coalesce(e.exchange, '?') AS exchange,
           count(*) AS updates, min(e.created_at) AS first_at, max(e.created_at) AS last_at
    FROM :"schema".:"events_table" AS e
    WHERE e.created_at >= :'since'::timestamptz AND e.created_at < :'until'::timestamptz
      -- the event data read only in rows of those types: as three tests the planner would run
      -- the keys' (the cheaper ones) first, on every row of the window
      AND CASE WHEN (e.event_type || '') = ANY (:'ts_update_types'::text[])
               THEN (:'ts_move_key' = '' OR e.event_data ? :'ts_move_key')
                    AND (:'ts_skip_key' = '' OR NOT e.event_data ? :'ts_skip_key')
               ELSE false END
    GROUP BY 1, 2
) AS u
LEFT JOIN :"schema".:"trailing_stop_state_table" AS t
  ON t.symbol = u.symbol AND t.exchange = u.exchange
ORDER BY u.updates DESC, u.symbol
LIMIT 100;
