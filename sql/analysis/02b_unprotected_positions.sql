-- 2. Positions that went without a stop-loss beyond the grace while open in [since, until):
-- from opening to the first stop-loss event, or to the end (still none). At most 50.
SELECT p.id, p.symbol, p.exchange, p.opened_at::timestamptz AS opened_at,
       s.at AS first_stop_loss,
       round(extract(epoch FROM least(coalesce(s.at, :'until'::timestamptz),
                                      coalesce(p.closed_at::timestamptz, :'until'::timestamptz),
                                      :'until'::timestamptz)
                                - p.opened_at::timestamptz)::numeric, 1) AS unprotected_seconds,
       s.at IS NULL AND (p.closed_at IS NULL OR p.closed_at >= :'until'::timestamptz)
           AS still_unprotected
FROM :"schema".:"positions_table" AS p
LEFT JOIN LATERAL (
    SELECT min(e.created_at) AS at FROM :"schema".:"events_table" AS e
    WHERE e.position_id = p.id AND e.event_type = ANY (:'stop_loss_types'::text[])
) AS s ON true
WHERE p.opened_at < :'until'::timestamptz
  AND (p.closed_at IS NULL OR p.closed_at >= :'since'::timestamptz)
  AND (s.at IS NOT NULL OR p.has_stop_loss IS NOT TRUE)
  AND least(coalesce(s.at, :'until'::timestamptz),
            coalesce(p.closed_at::timestamptz, :'until'::timestamptz), :'until'::timestamptz)
      > p.opened_at::timestamptz + make_interval(secs => :'sl_grace_seconds'::float8)
ORDER BY unprotected_seconds DESC, p.id
LIMIT 50;
