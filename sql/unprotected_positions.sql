-- Open positions without a stop-loss right now, open longer than the grace period: the
-- evidence behind the unprotected gauge (the tick's rule, fragments/first_stop_loss.sql).
--   $1 row limit   $2 grace cutoff (timestamptz): opened before it
WITH covered AS (
    SELECT p.:"pos_id"::bigint AS id, p.:"pos_symbol"::text AS symbol,
           p.:"pos_exchange"::text AS exchange, :pos_opened_ts AS opened_at,
           NULL::timestamptz AS ended_at
    FROM :"schema".:"positions_table" AS p
    WHERE p.:"pos_status" = ANY (:'open_statuses'::text[]) AND p.:"pos_has_stop_loss" IS NOT TRUE
      AND :pos_opened_ts < $2::timestamptz
),
-- >>> fragments/first_stop_loss.sql
-- (A fragment of a WITH clause: copied where a query needs it, between markers that
-- `python -m pytest_botaudit.database.sqlfiles` refreshes; one source of the rule.)
-- The first stop-loss of each position of the CTE `covered` (id, symbol, exchange, opened_at,
-- ended_at; instants): the first event of the stop-loss types naming it by position_id or,
-- without one (the bot's stop-loss manager writes none), by symbol and exchange, stamped at
-- most :'sl_match_before_seconds' before it opened and before it ended. Two equi-joins
-- (hashable) instead of one join on an OR; one pass over the stop-loss events.
stop_loss_events AS (
    SELECT e.:"ev_position_id"::bigint AS position_id, e.:"ev_symbol"::text AS symbol,
           e.:"ev_exchange"::text AS exchange, e.:"ev_created_at" AS created_at,
           e.:"ev_event_type"::text AS event_type
    FROM :"schema".:"events_table" AS e
    WHERE e.:"ev_event_type" = ANY (:'stop_loss_types'::text[])
      AND e.:"ev_created_at" >= (SELECT min(c.opened_at) FROM covered AS c)
                                - make_interval(secs => :'sl_match_before_seconds'::float8)
),
first_stop_loss AS (
    SELECT m.id, min(m.created_at) AS at
    FROM (
        SELECT c.id, s.created_at, c.opened_at, c.ended_at
        FROM covered AS c JOIN stop_loss_events AS s ON s.position_id = c.id
        UNION ALL
        SELECT c.id, s.created_at, c.opened_at, c.ended_at
        FROM covered AS c
        JOIN stop_loss_events AS s
          ON s.position_id IS NULL AND s.symbol = c.symbol::text AND s.exchange = c.exchange::text
    ) AS m
    WHERE m.created_at >= m.opened_at - make_interval(secs => :'sl_match_before_seconds'::float8)
      AND (m.ended_at IS NULL OR m.created_at < m.ended_at)
    GROUP BY m.id
)
-- <<< fragments/first_stop_loss.sql
SELECT c.id, c.symbol, c.exchange, c.opened_at
FROM covered AS c
LEFT JOIN first_stop_loss AS s ON s.id = c.id
WHERE s.at IS NULL
ORDER BY c.opened_at
LIMIT $1;
