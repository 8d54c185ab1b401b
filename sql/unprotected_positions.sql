-- Open positions without a stop-loss right now, open longer than the grace period: the
-- evidence behind the unprotected gauge.
--   $1 open position statuses (text[])   $2 row limit   $3 stop-loss grace period (seconds)
SELECT p.:"pos_id"::bigint AS id, p.:"pos_symbol"::text AS symbol,
       p.:"pos_exchange"::text AS exchange, p.:"pos_opened_at"::text AS opened_at
FROM :"schema".:"positions_table" AS p
WHERE p.:"pos_status" = ANY ($1::text[]) AND p.:"pos_has_stop_loss" IS NOT TRUE
  AND p.:"pos_opened_at" < now() - make_interval(secs => $3::float8)
ORDER BY p.:"pos_opened_at"
LIMIT $2;
