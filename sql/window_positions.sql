-- Window mode: every position open at some moment of a past period [$1, $2), with what the
-- collector would have seen of it: when it opened, when it stopped being open (its close, or
-- the moment of the force-close rule it matches, and which), when it was first protected
-- (fragments/first_stop_loss.sql, the tick's rule). The ticks are built from these intervals in
-- one sweep, whatever the number of ticks.
--   $1 period start   $2 period end (timestamptz)
WITH
-- >>> fragments/force_closed.sql
-- (A fragment of a WITH clause: copied where a query needs it, between markers that
-- `python -m pytest_botaudit.database.sqlfiles` refreshes; one source of the rule.)
-- The profile's force-close rules, and for each positions row (alias p) the moment it stopped
-- being open: the moment of the rule it matches (status and exit_reason LIKE; that column read
-- in the zone the rule names, else the column's), else closed_at.
force_rules AS (
    SELECT r.status, r.reason, r.at, r.zone, r.path
    FROM unnest(:'force_statuses'::text[], :'force_reasons'::text[], :'force_ats'::text[],
                :'force_zones'::text[], :'force_paths'::text[]) AS r (status, reason, at, zone, path)
),
position_ends AS (
    SELECT p.:"pos_id"::bigint AS id, forced.path AS forced_path,
           coalesce(forced.at, :pos_closed_ts) AS ended_at
    FROM :"schema".:"positions_table" AS p
    LEFT JOIN LATERAL (
        SELECT r.path,
               CASE r.at WHEN 'opened_at' THEN :pos_opened_ts_rule ELSE :pos_closed_ts_rule END
                   AS at
        FROM force_rules AS r
        WHERE p.:"pos_status" = r.status AND p.:"pos_exit_reason" LIKE r.reason
        LIMIT 1
    ) AS forced ON true
)
-- <<< fragments/force_closed.sql
,
covered AS (
    SELECT p.:"pos_id"::bigint AS id, p.:"pos_symbol"::text AS symbol,
           p.:"pos_exchange"::text AS exchange, p.:"pos_status"::text AS status,
           p.:"pos_has_stop_loss" IS TRUE AS has_stop_loss,
           :pos_opened_ts AS opened_at, pe.ended_at, pe.forced_path
    FROM :"schema".:"positions_table" AS p
    JOIN position_ends AS pe ON pe.id = p.:"pos_id"
    WHERE (p.:"pos_status" = ANY (:'opened_statuses'::text[]) OR pe.forced_path IS NOT NULL)
      AND :pos_opened_ts < $2::timestamptz
      AND (pe.ended_at IS NULL OR pe.ended_at >= $1::timestamptz)
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
SELECT c.id, c.symbol, c.exchange, c.status, c.opened_at, c.ended_at, c.forced_path,
       s.at AS protected_at, c.has_stop_loss
FROM covered AS c
LEFT JOIN first_stop_loss AS s ON s.id = c.id
ORDER BY c.opened_at, c.id;
