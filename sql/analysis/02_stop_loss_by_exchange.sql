-- 2. Stop-loss events per exchange over [since, until): placed, triggered, errors.
-- (event_type || '') and (severity || '') keep the planner on the created_at range: the
-- work is the window's whatever the history holds (the event_type index spans all of it).
SELECT coalesce(e.exchange, 'unknown') AS exchange,
       count(*) FILTER (WHERE e.event_type = ANY (:'stop_loss_types'::text[])) AS placed,
       count(*) FILTER (WHERE e.event_type = 'stop_loss_triggered') AS triggered,
       count(*) FILTER (WHERE e.event_type IN ('stop_loss_error', 'stop_loss_set_failed'))
           AS errors
FROM :"schema".:"events_table" AS e
WHERE e.created_at >= :'since'::timestamptz AND e.created_at < :'until'::timestamptz
  AND (e.event_type || '') IN ('stop_loss_placed', 'stop_loss_set_on_load', 'stop_loss_triggered',
                       'stop_loss_error', 'stop_loss_set_failed')
GROUP BY 1
ORDER BY 1;
