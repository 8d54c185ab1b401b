-- 8. The three best and the three worst trades closed in [since, until).
(SELECT 'best' AS rank, p.id, p.symbol, p.exchange, coalesce(p.realized_pnl, p.pnl) AS pnl,
        p.exit_reason, p.closed_at::timestamptz AS closed_at
 FROM :"schema".:"positions_table" AS p
 WHERE p.closed_at >= :'since'::timestamptz AND p.closed_at < :'until'::timestamptz
   AND coalesce(p.realized_pnl, p.pnl) IS NOT NULL
 ORDER BY coalesce(p.realized_pnl, p.pnl) DESC, p.id LIMIT 3)
UNION ALL
(SELECT 'worst', p.id, p.symbol, p.exchange, coalesce(p.realized_pnl, p.pnl),
        p.exit_reason, p.closed_at::timestamptz
 FROM :"schema".:"positions_table" AS p
 WHERE p.closed_at >= :'since'::timestamptz AND p.closed_at < :'until'::timestamptz
   AND coalesce(p.realized_pnl, p.pnl) IS NOT NULL
 ORDER BY coalesce(p.realized_pnl, p.pnl), p.id LIMIT 3);
