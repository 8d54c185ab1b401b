-- 1. Positions per exchange and in total (the last row, 'all exchanges') over [since, until):
-- opened, closed, active at the end, rolled back or failed, ever unprotected beyond the grace,
-- and the most positions open at once.
WITH open_in_window AS (
    SELECT p.id, p.exchange, p.status, p.has_stop_loss,
           p.opened_at::timestamptz AS opened_at, p.closed_at::timestamptz AS closed_at
    FROM :"schema".:"positions_table" AS p
    WHERE p.opened_at < :'until'::timestamptz
      AND (p.closed_at IS NULL OR p.closed_at >= :'since'::timestamptz)
),
first_sl AS (
    SELECT o.id, (SELECT min(e.created_at) FROM :"schema".:"events_table" AS e
                  WHERE e.position_id = o.id
                    AND e.event_type = ANY (:'stop_loss_types'::text[])) AS at
    FROM open_in_window AS o
),
moves AS (  -- +1 at an opening, -1 at a closing: the running sum is the positions open
    SELECT exchange, greatest(opened_at, :'since'::timestamptz) AS at, 1 AS delta
    FROM open_in_window
    UNION ALL
    SELECT exchange, closed_at, -1 FROM open_in_window
    WHERE closed_at IS NOT NULL AND closed_at < :'until'::timestamptz
),
running AS (
    SELECT exchange,
           sum(delta) OVER (PARTITION BY exchange ORDER BY at, delta DESC
                            ROWS UNBOUNDED PRECEDING) AS per_exchange,
           sum(delta) OVER (ORDER BY at, delta DESC ROWS UNBOUNDED PRECEDING) AS overall
    FROM moves
)
SELECT CASE WHEN GROUPING(o.exchange) = 1 THEN 'all exchanges' ELSE o.exchange END AS exchange,
       count(*) FILTER (WHERE o.opened_at >= :'since'::timestamptz) AS opened,
       count(*) FILTER (WHERE o.closed_at < :'until'::timestamptz) AS closed,
       count(*) FILTER (WHERE o.closed_at IS NULL OR o.closed_at >= :'until'::timestamptz)
           AS active_at_end,
       count(*) FILTER (WHERE o.status IN ('rolled_back', 'failed', 'canceled'))
           AS rolled_back_or_failed,
       count(*) FILTER (
           WHERE least(coalesce(s.at, :'until'::timestamptz),
                       coalesce(o.closed_at, :'until'::timestamptz), :'until'::timestamptz)
                 > o.opened_at + make_interval(secs => :'sl_grace_seconds'::float8)
             AND (s.at IS NOT NULL OR o.has_stop_loss IS NOT TRUE)
       ) AS ever_unprotected,
       CASE WHEN GROUPING(o.exchange) = 1 THEN (SELECT max(overall) FROM running)
            ELSE (SELECT max(r.per_exchange) FROM running AS r WHERE r.exchange = o.exchange)
       END AS max_concurrent
FROM open_in_window AS o
JOIN first_sl AS s ON s.id = o.id
GROUP BY ROLLUP (o.exchange)
ORDER BY GROUPING(o.exchange), o.exchange NULLS LAST;
