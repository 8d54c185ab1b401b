-- One sampling tick in one round trip: gauges of the open positions (one row per exchange)
-- and the number of events of each type and exchange written in the window [$1, $2).
--   $1 window start (timestamptz)   $2 window end (timestamptz)
--   $3 open position statuses (text[])   $4 aged cutoff: opened before this (timestamptz)
--   $5 grace cutoff: a position opened after this is not unprotected yet (timestamptz)
-- The window predicate is an index range scan on events.created_at; nothing else reads events.
SELECT 'positions' AS kind,
       p.:"pos_exchange"::text AS exchange,
       NULL::text AS event_type,
       count(*) AS total,
       count(*) FILTER (
           WHERE p.:"pos_has_stop_loss" IS NOT TRUE AND p.:"pos_opened_at" < $5::timestamptz
       ) AS unprotected,
       count(*) FILTER (WHERE p.:"pos_opened_at" < $4::timestamptz) AS aged
FROM :"schema".:"positions_table" AS p
WHERE p.:"pos_status" = ANY ($3::text[])
GROUP BY p.:"pos_exchange"
UNION ALL
SELECT 'events',
       e.:"ev_exchange"::text,
       e.:"ev_event_type"::text,
       count(*),
       0,
       0
FROM :"schema".:"events_table" AS e
WHERE e.:"ev_created_at" >= $1::timestamptz AND e.:"ev_created_at" < $2::timestamptz
GROUP BY e.:"ev_exchange", e.:"ev_event_type";
