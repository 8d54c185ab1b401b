-- Trailing-stop moves per (symbol, exchange) over [$1, $2), busiest first. position_id is
-- often NULL in trailing-stop events, so symbol + exchange identify the position. A move is a
-- row of the update types; where the bot writes several rows per move and rows for moves it
-- skipped, the profile names the key only a move's own row carries (:'ts_move_key') and the
-- key of a skipped one (:'ts_skip_key').
--   $1 window start   $2 window end   $3 update event types (text[])   $4 row limit
SELECT coalesce(e.:"ev_symbol", '?')::text AS symbol,
       coalesce(e.:"ev_exchange", '?')::text AS exchange,
       count(*) AS updates,
       min(e.:"ev_created_at") AS first_at,
       max(e.:"ev_created_at") AS last_at
FROM :"schema".:"events_table" AS e
WHERE e.:"ev_created_at" >= $1::timestamptz AND e.:"ev_created_at" < $2::timestamptz
  AND e.:"ev_event_type" = ANY ($3::text[])
  AND (:'ts_move_key' = '' OR e.:"ev_event_data" ? :'ts_move_key')
  AND (:'ts_skip_key' = '' OR NOT e.:"ev_event_data" ? :'ts_skip_key')
GROUP BY 1, 2
ORDER BY updates DESC, symbol
LIMIT $4;
