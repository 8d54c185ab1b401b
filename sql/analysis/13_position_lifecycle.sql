-- 13. The full event history of sample positions: the five most eventful of [since, until)
-- (price ticks aside) and every one that went without a stop-loss beyond the grace. At most
-- 40 events a position.
WITH eventful AS (
    SELECT e.position_id, count(*) AS events
    FROM :"schema".:"events_table" AS e
    WHERE e.created_at >= :'since'::timestamptz AND e.created_at < :'until'::timestamptz
      AND e.position_id IS NOT NULL AND e.event_type <> ALL (:'high_rate_types'::text[])
    GROUP BY e.position_id
    ORDER BY events DESC, e.position_id
    LIMIT 5
),
unprotected AS (
    SELECT p.id AS position_id
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
    LIMIT 20
),
sample AS (
    SELECT position_id FROM eventful UNION SELECT position_id FROM unprotected
)
SELECT h.position_id, h.created_at, h.event_type, h.severity, h.symbol, h.exchange
FROM sample AS s
CROSS JOIN LATERAL (
    SELECT e.position_id, e.created_at, e.event_type, e.severity, e.symbol, e.exchange
    FROM :"schema".:"events_table" AS e
    WHERE e.position_id = s.position_id AND e.event_type <> ALL (:'high_rate_types'::text[])
    ORDER BY e.created_at, e.id
    LIMIT 40
) AS h
ORDER BY h.position_id, h.created_at;
