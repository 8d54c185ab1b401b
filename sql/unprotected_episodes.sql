-- Positions that went without a stop-loss for longer than the grace period while open in the
-- window [$1, $2): from opening to the first stop-loss event, or to the window's end (or the
-- close) when none came. One index probe per position on events.position_id.
--   $1 window start   $2 window end   $3 stop-loss event types (text[])
--   $4 stop-loss grace period (seconds)   $5 row limit
SELECT p.:"pos_id"::bigint AS id,
       p.:"pos_symbol"::text AS symbol,
       p.:"pos_exchange"::text AS exchange,
       p.:"pos_opened_at"::timestamptz AS opened_at,
       s.at AS protected_at,
       extract(epoch FROM least(coalesce(s.at, $2::timestamptz),
                                coalesce(p.:"pos_closed_at"::timestamptz, $2::timestamptz),
                                $2::timestamptz)
                          - p.:"pos_opened_at"::timestamptz)::float8 AS unprotected_seconds
FROM :"schema".:"positions_table" AS p
LEFT JOIN LATERAL (
    SELECT min(e.:"ev_created_at") AS at
    FROM :"schema".:"events_table" AS e
    WHERE e.:"ev_position_id" = p.:"pos_id" AND e.:"ev_event_type" = ANY ($3::text[])
) AS s ON true
WHERE p.:"pos_opened_at" < $2::timestamptz
  AND (p.:"pos_closed_at" IS NULL OR p.:"pos_closed_at" >= $1::timestamptz)
  AND (s.at IS NOT NULL OR p.:"pos_has_stop_loss" IS NOT TRUE)
  AND least(coalesce(s.at, $2::timestamptz),
            coalesce(p.:"pos_closed_at"::timestamptz, $2::timestamptz), $2::timestamptz)
      > p.:"pos_opened_at"::timestamptz + make_interval(secs => $4::float8)
ORDER BY unprotected_seconds DESC, id
LIMIT $5;
