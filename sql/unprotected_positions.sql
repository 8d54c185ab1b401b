-- Open positions without a stop-loss right now: the evidence behind the unprotected gauge.
--   $1 open position statuses (text[])   $2 row limit
SELECT p.:"pos_id"::bigint AS id, p.:"pos_symbol"::text AS symbol,
       p.:"pos_exchange"::text AS exchange, p.:"pos_opened_at"::text AS opened_at
FROM :"schema".:"positions_table" AS p
WHERE p.:"pos_status" = ANY ($1::text[]) AND p.:"pos_has_stop_loss" IS NOT TRUE
ORDER BY p.:"pos_opened_at"
LIMIT $2;
