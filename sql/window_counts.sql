-- Window mode: events per tick of a past period, in one index range scan over [$1, $2), in
-- tick order (window mode builds each tick as its rows arrive). Tick k (from 1) counts events
-- created in [$1 + (k-1)*$3, $1 + k*$3) seconds, exactly the windows a live run would have
-- sampled.
--   $1 period start (timestamptz)   $2 period end (timestamptz)   $3 interval in seconds
SELECT floor(extract(epoch FROM e.:"ev_created_at" - $1::timestamptz) / $3::float8)::int + 1
           AS tick,
       'events' AS kind,
       e.:"ev_exchange"::text AS exchange,
       e.:"ev_event_type"::text AS event_type,
       count(*) AS total,
       0 AS unprotected,
       0 AS aged
FROM :"schema".:"events_table" AS e
WHERE e.:"ev_created_at" >= $1::timestamptz AND e.:"ev_created_at" < $2::timestamptz
GROUP BY 1, 3, 4
ORDER BY 1;
