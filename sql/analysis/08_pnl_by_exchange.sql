-- 8. PnL of the positions closed in [since, until), per exchange and in total ('all exchanges').
WITH closed AS (
    SELECT p.exchange, coalesce(p.realized_pnl, p.pnl) AS pnl
    FROM :"schema".:"positions_table" AS p
    WHERE :pos_closed_ts >= :'since'::timestamptz AND :pos_closed_ts < :'until'::timestamptz
)
SELECT CASE WHEN GROUPING(exchange) = 1 THEN 'all exchanges' ELSE exchange END AS exchange,
       count(*) AS closed,
       count(*) FILTER (WHERE pnl > 0) AS winners,
       count(*) FILTER (WHERE pnl < 0) AS losers,
       round(100.0 * count(*) FILTER (WHERE pnl > 0) / nullif(count(pnl), 0), 1) AS win_rate_pct,
       round(sum(pnl), 4) AS total,
       round(avg(pnl), 4) AS average,
       max(pnl) AS best,
       min(pnl) AS worst
FROM closed
GROUP BY ROLLUP (exchange)
ORDER BY GROUPING(exchange), exchange NULLS LAST;
