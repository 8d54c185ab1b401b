-- One sampling tick in one round trip: gauges of the open positions (one row per exchange), the
-- events of each type and exchange written in the window [$1, $2), and the positions rows that
-- opened, closed, or were closed by force in it.
--   $1 window start   $2 window end (timestamptz)   $3 aged cutoff: opened before this
--   $4 grace cutoff: a position opened after this is not unprotected yet
-- A position is protected once it has a stop-loss: its row says so (has_stop_loss, set by the
-- bot's periodic protection check, minutes later) or a stop-loss event names it (the rule is
-- fragments/first_stop_loss.sql, shared with window mode and the analysis). Positions'
-- timestamps are read through :pos_opened_ts / :pos_closed_ts (instants, in the zone the
-- profile gives a naive column). The events window is an index range scan on created_at.
WITH open_positions AS (
    SELECT p.:"pos_id"::bigint AS id, p.:"pos_symbol"::text AS symbol,
           p.:"pos_exchange"::text AS exchange, :pos_opened_ts AS opened_at,
           p.:"pos_has_stop_loss" IS TRUE AS flagged
    FROM :"schema".:"positions_table" AS p
    WHERE p.:"pos_status" = ANY (:'open_statuses'::text[])
),
covered AS (  -- the open positions whose row does not say they are protected
    SELECT o.id, o.symbol, o.exchange, o.opened_at, NULL::timestamptz AS ended_at
    FROM open_positions AS o
    WHERE NOT o.flagged
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
,
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
judged AS (
    SELECT o.exchange, o.symbol, o.opened_at,
           NOT o.flagged AND o.opened_at < $4::timestamptz
             AND (s.at IS NULL OR s.at >= $2::timestamptz) AS unprotected
    FROM open_positions AS o
    LEFT JOIN first_stop_loss AS s ON s.id = o.id
)
SELECT 'positions' AS kind,
       j.exchange,
       NULL::text AS event_type,
       count(*) AS total,
       count(*) FILTER (WHERE j.unprotected) AS unprotected,
       count(*) FILTER (WHERE j.opened_at < $3::timestamptz) AS aged,
       array_agg(j.symbol ORDER BY j.symbol) FILTER (WHERE j.unprotected) AS symbols
FROM judged AS j
GROUP BY j.exchange
UNION ALL
SELECT 'events', e.:"ev_exchange"::text, e.:"ev_event_type"::text, count(*), 0, 0, NULL
FROM :"schema".:"events_table" AS e
WHERE e.:"ev_created_at" >= $1::timestamptz AND e.:"ev_created_at" < $2::timestamptz
GROUP BY e.:"ev_exchange", e.:"ev_event_type"
UNION ALL
SELECT 'opened', p.:"pos_exchange"::text, NULL, count(*), 0, 0, NULL
FROM :"schema".:"positions_table" AS p
JOIN position_ends AS pe ON pe.id = p.:"pos_id"
WHERE :pos_opened_ts >= $1::timestamptz AND :pos_opened_ts < $2::timestamptz
  AND (p.:"pos_status" = ANY (:'opened_statuses'::text[]) OR pe.forced_path IS NOT NULL)
GROUP BY p.:"pos_exchange"
UNION ALL
SELECT kinds.kind, p.:"pos_exchange"::text, kinds.path, count(*), 0, 0,
       array_agg(p.:"pos_symbol"::text ORDER BY p.:"pos_symbol")
           FILTER (WHERE kinds.path IS NOT NULL)
FROM :"schema".:"positions_table" AS p
JOIN position_ends AS pe ON pe.id = p.:"pos_id"
CROSS JOIN LATERAL (  -- a closed status is a close; a matching rule a force-close too
    SELECT 'closed' AS kind, NULL::text AS path
    WHERE p.:"pos_status" = ANY (:'closed_statuses'::text[])
    UNION ALL
    SELECT 'force_closed', pe.forced_path WHERE pe.forced_path IS NOT NULL
) AS kinds
WHERE pe.ended_at >= $1::timestamptz AND pe.ended_at < $2::timestamptz
GROUP BY kinds.kind, p.:"pos_exchange", kinds.path;
