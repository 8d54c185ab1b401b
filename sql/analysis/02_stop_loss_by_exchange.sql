-- 2. Stop-loss events per exchange over [since, until): placed, triggered, errors; each kind's
-- event types are the profile's (positions.stop_loss_event_types, analysis.sl_triggered_ and
-- analysis.sl_error_event_types), so the errors are the events the log's set failures match.
-- (event_type || '') keeps the planner on the created_at range: the work is the window's
-- whatever the history holds (the event_type index spans all of it).
SELECT coalesce(e.:"ev_exchange", 'unknown') AS exchange,
       count(*) FILTER (WHERE e.:"ev_event_type" = ANY (:'stop_loss_types'::text[])) AS placed,
       count(*) FILTER (WHERE e.:"ev_event_type" = ANY (:'sl_triggered_types'::text[]))
           AS triggered,
       count(*) FILTER (WHERE e.:"ev_event_type" = ANY (:'sl_error_types'::text[])) AS errors
FROM :"schema".:"events_table" AS e
WHERE e.:"ev_created_at" >= :'since'::timestamptz AND e.:"ev_created_at" < :'until'::timestamptz
  AND (e.:"ev_event_type" || '') = ANY (:'stop_loss_types'::text[] || :'sl_triggered_types'::text[]
                                         || :'sl_error_types'::text[])
GROUP BY 1
ORDER BY 1;
