-- Window mode: events per tick of a past period [$1, $2), in tick order (window mode builds
-- each tick as its rows arrive). Tick k (from 1) counts events created in
-- [$1 + (k-1)*$3, $1 + k*$3) seconds, exactly the windows a live run would have sampled.
-- Each tick is one index range scan of its window, counted as it is read: the rows come out
-- in the series' order while the server reads on (a nested loop over generate_series), so
-- window mode folds a tick while the server counts the next ones, and nothing is sorted or
-- spilled to disk (one GROUP BY over the period sorts all its events before the first row).
-- The tick's subquery is no scan of the events per tick: an index range of its own window
-- (created_at, indexed at both versions of the bot), so each event is read once, by the tick
-- that holds it, and the cost is linear in events and ticks.
-- No ORDER BY: the planner does not know the series is ordered and would sort every row
-- before handing over the first; window mode checks the order instead.
--   $1 period start (timestamptz)   $2 period end (timestamptz)   $3 interval in seconds
--   $4 ticks
SELECT k.tick,
       'events' AS kind,
       c.exchange,
       c.event_type,
       c.total,
       0 AS unprotected,
       0 AS aged
FROM generate_series(1, $4::int) AS k (tick)
CROSS JOIN LATERAL (
    SELECT e.:"ev_exchange"::text AS exchange, e.:"ev_event_type"::text AS event_type,
           count(*) AS total
    FROM :"schema".:"events_table" AS e
    WHERE e.:"ev_created_at" >= $1::timestamptz + make_interval(secs => (k.tick - 1) * $3::float8)
      AND e.:"ev_created_at" < $1::timestamptz + make_interval(secs => k.tick * $3::float8)
      AND e.:"ev_created_at" >= $1::timestamptz AND e.:"ev_created_at" < $2::timestamptz
    GROUP BY 1, 2
    ORDER BY 1, 2  -- a tick's rows by exchange and type: its snapshot's keys in that order
) AS c;
