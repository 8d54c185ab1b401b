-- Window mode: the open-position gauges at past moments, one row per (tick, exchange).
-- A position was open at t if it had opened by t and not yet closed; it was unprotected if
-- its first stop-loss event came after t (or, with none, if it has no stop-loss now), once it
-- had been open longer than the grace period.
--   $1 tick moments (timestamptz[], tick k is element k)   $2 statuses of positions that were
--   open at some time (text[])   $3 stop-loss event types (text[])   $4 maximum age (seconds)
--   $5 stop-loss grace period (seconds)
WITH ticks AS (
    SELECT u.tick::int AS tick, u.moment
    FROM unnest($1::timestamptz[]) WITH ORDINALITY AS u (moment, tick)
),
protected_since AS (
    SELECT e.:"ev_position_id" AS position_id, min(e.:"ev_created_at") AS at
    FROM :"schema".:"events_table" AS e
    WHERE e.:"ev_event_type" = ANY ($3::text[]) AND e.:"ev_position_id" IS NOT NULL
    GROUP BY e.:"ev_position_id"
)
SELECT ticks.tick,
       'positions' AS kind,
       p.:"pos_exchange"::text AS exchange,
       NULL::text AS event_type,
       count(*) AS total,
       count(*) FILTER (
           WHERE CASE WHEN s.at IS NOT NULL THEN s.at > ticks.moment
                      ELSE p.:"pos_has_stop_loss" IS NOT TRUE END
             AND p.:"pos_opened_at" < ticks.moment - make_interval(secs => $5::float8)
       ) AS unprotected,
       count(*) FILTER (
           WHERE p.:"pos_opened_at" < ticks.moment - make_interval(secs => $4::float8)
       ) AS aged
FROM ticks
JOIN :"schema".:"positions_table" AS p
  ON p.:"pos_opened_at" <= ticks.moment
 AND (p.:"pos_closed_at" IS NULL OR p.:"pos_closed_at" > ticks.moment)
 AND p.:"pos_status" = ANY ($2::text[])
LEFT JOIN protected_since AS s ON s.position_id = p.:"pos_id"
GROUP BY ticks.tick, p.:"pos_exchange";
