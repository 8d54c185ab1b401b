-- 8. The three best and the three worst trades closed in [since, until).
(SELECT 'best' AS rank, p.id, p.symbol, p.exchange, coalesce(p.realized_pnl, p.pnl) AS pnl,
        p.exit_reason, :pos_closed_ts AS closed_at
 FROM :"schema".:"positions_table" AS p
 WHERE :pos_closed_ts >= :'since'::timestamptz AND :pos_closed_ts < :'until'::timestamptz
   AND coalesce(p.realized_pnl, p.pnl) IS NOT NULL
 ORDER BY coalesce(p.realized_pnl, p.pnl) DESC, p.id LIMIT 3)
UNION ALL
(SELECT 'worst', p.id, p.symbol, p.exchange, coalesce(p.realized_pnl, p.pnl),
        p.exit_reason, :pos_closed_ts
 FROM :"schema".:"positions_table" AS p
 WHERE :pos_closed_ts >= :'since'::timestamptz AND :pos_closed_ts < :'until'::timestamptz
   AND coalesce(p.realized_pnl, p.pnl) IS NOT NULL
 ORDER BY coalesce(p.realized_pnl, p.pnl), p.id LIMIT 3);
