-- 11. Activity per hour of the audit: hour h is [since + (h-1) h, since + h h). Positions
-- opened (of which unprotected beyond the grace), closed, error events and alert events.
WITH hours AS (
    SELECT h AS hour,
           :'since'::timestamptz + make_interval(hours => h - 1) AS starts,
           least(:'since'::timestamptz + make_interval(hours => h), :'until'::timestamptz) AS ends
    FROM generate_series(1, greatest(1, ceil(extract(epoch FROM
             :'until'::timestamptz - :'since'::timestamptz) / 3600)::int)) AS h
),
events AS (
    SELECT floor(extract(epoch FROM e.created_at - :'since'::timestamptz) / 3600)::int + 1
               AS hour,
           count(*) FILTER (WHERE e.severity IN ('ERROR', 'CRITICAL')
                            OR e.event_type = ANY (:'error_types'::text[])) AS errors,
           count(*) FILTER (WHERE e.event_type = ANY (:'alert_types'::text[])) AS alerts
    FROM :"schema".:"events_table" AS e
    WHERE e.created_at >= :'since'::timestamptz AND e.created_at < :'until'::timestamptz
      AND e.event_type <> ALL (:'high_rate_types'::text[])
    GROUP BY 1
)
SELECT hours.hour, hours.starts, hours.ends,
       (SELECT count(*) FROM :"schema".:"positions_table" AS p
        WHERE p.opened_at >= hours.starts AND p.opened_at < hours.ends) AS opened,
       (SELECT count(*) FROM :"schema".:"positions_table" AS p
        WHERE p.opened_at >= hours.starts AND p.opened_at < hours.ends
          AND NOT EXISTS (
              SELECT 1 FROM :"schema".:"events_table" AS e
              WHERE e.position_id = p.id AND e.event_type = ANY (:'stop_loss_types'::text[])
                AND e.created_at <= p.opened_at::timestamptz
                                    + make_interval(secs => :'sl_grace_seconds'::float8))
          AND (p.has_stop_loss IS NOT TRUE OR EXISTS (
              SELECT 1 FROM :"schema".:"events_table" AS e
              WHERE e.position_id = p.id AND e.event_type = ANY (:'stop_loss_types'::text[])))
       ) AS opened_unprotected,
       (SELECT count(*) FROM :"schema".:"positions_table" AS p
        WHERE p.closed_at >= hours.starts AND p.closed_at < hours.ends) AS closed,
       coalesce(events.errors, 0) AS errors,
       coalesce(events.alerts, 0) AS alerts
FROM hours
LEFT JOIN events ON events.hour = hours.hour
ORDER BY hours.hour;
