-- 6. The aged positions open at the end of the window: symbol, exchange, age, PnL, status.
SELECT p.id, p.symbol, p.exchange,
       round((extract(epoch FROM :'until'::timestamptz - p.opened_at::timestamptz) / 3600)::numeric,
             2) AS age_hours,
       p.unrealized_pnl, p.status
FROM :"schema".:"positions_table" AS p
WHERE p.opened_at < :'until'::timestamptz - make_interval(secs => :'max_age_hours'::float8 * 3600)
  AND (p.closed_at IS NULL OR p.closed_at >= :'until'::timestamptz)
  AND p.status = ANY (:'open_statuses'::text[])
ORDER BY p.opened_at, p.id
LIMIT 100;
