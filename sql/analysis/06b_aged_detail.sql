-- 6. The aged positions open at the end of the window: symbol, exchange, age, PnL, status.
SELECT p.id, p.symbol, p.exchange,
       round((extract(epoch FROM :'until'::timestamptz - :pos_opened_ts) / 3600)::numeric,
             2) AS age_hours,
       p.unrealized_pnl, p.status
FROM :"schema".:"positions_table" AS p
WHERE :pos_opened_ts < :'until'::timestamptz - make_interval(secs => :'max_age_hours'::float8 * 3600)
  AND (p.closed_at IS NULL OR :pos_closed_ts >= :'until'::timestamptz)
  AND p.status = ANY (:'open_statuses'::text[])
ORDER BY 4 DESC, p.id
LIMIT 100;
