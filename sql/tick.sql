-- One sampling tick in one round trip: gauges of the open positions (one row per exchange), the
-- events of each type and exchange written in the window [$1, $2), and the positions rows that
-- opened, closed, or were closed by force in it.
--   $1 window start   $2 window end (timestamptz)   $3 aged cutoff: opened before this
--   $4 grace cutoff: a position opened after this is not unprotected yet
-- A position is protected once it has a stop-loss: its row says so (has_stop_loss, set by the
-- bot's periodic protection check, minutes later) or a stop-loss event names it by the rule of
-- fragments/first_stop_loss.sql (window mode and the analysis find every position's first one
-- over a period in one pass). Here only whether one exists before the tick is asked, in the one
-- read of the open positions, and only of those the row does not call protected that are past
-- their grace (a CASE: no event is read for the others). Positions' timestamps are read
-- through :pos_opened_ts / :pos_closed_ts (instants, in the zone the profile gives a naive
-- column).
-- The cost stays flat in the events table: the window is an index range scan on created_at;
-- a young position's stop-loss is looked for in that index's range from its opening to the
-- tick (at most an hour of events, whatever the history: the `+ 0` and `|| ''` keep the
-- planner off the position_id and symbol indexes, which hold all of it); an older one's (an
-- hour without a stop-loss, or a flag the bot never set) is looked up by its position_id and
-- by its symbol (the symbol's events, the one probe that grows with history). The `|| ''` and
-- `+ interval '0'` there keep the planner on those indexes: estimated from the whole history,
-- it would rather read every stop-loss event the bot ever wrote, once per position.
-- The positions table is read in one pass; the force-close rule is applied only to the rows
-- that opened or closed within hours of the window (a day, where a rule's zone is not its
-- column's: :'force_zones_differ').
WITH judged AS (  -- the open positions, each judged protected or not at the tick
    SELECT p.:"pos_exchange"::text AS exchange, p.:"pos_symbol"::text AS symbol,
           :pos_opened_ts AS opened_at,
           -- (no opening time: not judged, as in unprotected_positions.sql and window mode)
           CASE WHEN p.:"pos_has_stop_loss" IS TRUE OR :pos_opened_ts IS NULL
                     OR :pos_opened_ts >= $4::timestamptz THEN false
                WHEN :pos_opened_ts >= $2::timestamptz - interval '1 hour' THEN (
                    SELECT e.:"ev_created_at"
                    FROM :"schema".:"events_table" AS e
                    WHERE e.:"ev_created_at" >= :pos_opened_ts
                                               - make_interval(secs => :'sl_match_before_seconds'::float8)
                      AND e.:"ev_created_at" < $2::timestamptz
                      AND (e.:"ev_event_type" || '') = ANY (:'stop_loss_types'::text[])
                      AND (e.:"ev_position_id" + 0 = p.:"pos_id"
                           OR (e.:"ev_position_id" IS NULL AND (e.:"ev_symbol" || '') = p.:"pos_symbol"
                               AND e.:"ev_exchange" = p.:"pos_exchange"))
                    ORDER BY e.:"ev_created_at"  -- (the first: the index may be walked to it)
                    LIMIT 1) IS NULL
                ELSE NOT EXISTS (
                    SELECT FROM :"schema".:"events_table" AS e
                    WHERE e.:"ev_position_id" = p.:"pos_id"
                      AND (e.:"ev_event_type" || '') = ANY (:'stop_loss_types'::text[])
                      AND e.:"ev_created_at" + interval '0' >= :pos_opened_ts
                          - make_interval(secs => :'sl_match_before_seconds'::float8)
                      AND e.:"ev_created_at" + interval '0' < $2::timestamptz)
                  AND NOT EXISTS (
                    SELECT FROM :"schema".:"events_table" AS e
                    WHERE e.:"ev_symbol" = p.:"pos_symbol" AND e.:"ev_position_id" IS NULL
                      AND (e.:"ev_exchange" || '') = p.:"pos_exchange"
                      AND (e.:"ev_event_type" || '') = ANY (:'stop_loss_types'::text[])
                      AND e.:"ev_created_at" + interval '0' >= :pos_opened_ts
                          - make_interval(secs => :'sl_match_before_seconds'::float8)
                      AND e.:"ev_created_at" + interval '0' < $2::timestamptz)
           END AS unprotected
    FROM :"schema".:"positions_table" AS p
    WHERE p.:"pos_status" = ANY (:'open_statuses'::text[])
    OFFSET 0  -- a subquery of its own: inlined, its CASE would be run once per use below
),
-- >>> fragments/force_closed.sql
-- (A fragment of a WITH clause: copied where a query needs it, between markers that
-- `python -m pytest_botaudit.database.sqlfiles` refreshes; one source of the rule.)
-- The profile's force-close rules, and every positions row (its own columns, read as p.<column>
-- by a query that selects FROM position_rows AS p) with the moment it stopped being open: the
-- moment of the rule it matches (status and exit_reason LIKE; that column read in the zone the
-- rule names, else the column's), else closed_at: botaudit_ended_at, and the rule's path as
-- botaudit_forced_path (names no bot's table holds). Referenced once, it is inlined: a filter
-- on the row's columns is applied before the rule is, and no second scan joins it back.
force_rules AS (
    SELECT r.status, r.reason, r.at, r.zone, r.path
    FROM unnest(:'force_statuses'::text[], :'force_reasons'::text[], :'force_ats'::text[],
                :'force_zones'::text[], :'force_paths'::text[]) AS r (status, reason, at, zone, path)
),
position_rows AS (
    SELECT p.*, forced.path AS botaudit_forced_path,
           coalesce(forced.at, :pos_closed_ts) AS botaudit_ended_at
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
slack AS MATERIALIZED (  -- the window on the bare columns, widened: computed once, not per row
    SELECT ($1::timestamptz :pos_opened_ts_local) - interval '3 hours' AS opened_from,
           ($2::timestamptz :pos_opened_ts_local) + interval '3 hours' AS opened_to,
           ($1::timestamptz :pos_closed_ts_local) - interval '3 hours' AS closed_from,
           ($2::timestamptz :pos_closed_ts_local) + interval '3 hours' AS closed_to,
           ($1::timestamptz :pos_opened_ts_local) - interval '30 hours' AS opened_day_from,
           ($2::timestamptz :pos_opened_ts_local) + interval '30 hours' AS opened_day_to,
           ($1::timestamptz :pos_closed_ts_local) - interval '30 hours' AS closed_day_from,
           ($2::timestamptz :pos_closed_ts_local) + interval '30 hours' AS closed_day_to
),
moved AS (  -- the rows that opened or stopped being open in the window
    SELECT p.:"pos_exchange"::text AS exchange, p.:"pos_symbol"::text AS symbol,
           p.:"pos_status"::text AS status, :pos_opened_ts AS opened_at,
           p.botaudit_ended_at AS ended_at,
           p.botaudit_forced_path AS forced_path
    FROM slack AS w, position_rows AS p
    -- a superset of them on the bare columns, checked exactly below: three hours either side
    -- cover any change of a zone's offset; where a force-close's moment is read in its rule's
    -- zone, not its column's (up to 26 hours from it), a row matching a rule is looked at 30
    -- hours either side (comparisons first: the rule's LIKE only on the rows they keep)
    WHERE (p.:"pos_opened_at" >= w.opened_from AND p.:"pos_opened_at" < w.opened_to)
       OR (p.:"pos_closed_at" >= w.closed_from AND p.:"pos_closed_at" < w.closed_to)
       OR (:'force_zones_differ'::boolean
           AND (p.:"pos_opened_at" >= w.opened_day_from AND p.:"pos_opened_at" < w.opened_day_to
            OR p.:"pos_closed_at" >= w.closed_day_from AND p.:"pos_closed_at" < w.closed_day_to)
           AND p.:"pos_exit_reason" LIKE ANY (:'force_reasons'::text[]))
)
SELECT 'positions' AS kind,
       j.exchange,
       NULL::text AS event_type,
       count(*) AS total,
       count(*) FILTER (WHERE j.unprotected) AS unprotected,
       count(*) FILTER (WHERE j.opened_at < $3::timestamptz) AS aged,
       array_agg(j.symbol) FILTER (WHERE j.unprotected) AS symbols
FROM judged AS j
GROUP BY j.exchange
UNION ALL
SELECT 'events', e.:"ev_exchange"::text, e.:"ev_event_type"::text, count(*), 0, 0, NULL
FROM :"schema".:"events_table" AS e
WHERE e.:"ev_created_at" >= $1::timestamptz AND e.:"ev_created_at" < $2::timestamptz
GROUP BY e.:"ev_exchange", e.:"ev_event_type"
UNION ALL
SELECT kinds.kind, m.exchange, kinds.path, count(*), 0, 0,
       array_agg(m.symbol ORDER BY m.symbol) FILTER (WHERE kinds.path IS NOT NULL)
FROM moved AS m
CROSS JOIN LATERAL (  -- an opening; a closed status is a close; a matching rule a force-close too
    SELECT 'opened' AS kind, NULL::text AS path
    WHERE m.opened_at >= $1::timestamptz AND m.opened_at < $2::timestamptz
      AND (m.status = ANY (:'opened_statuses'::text[]) OR m.forced_path IS NOT NULL)
    UNION ALL
    SELECT 'closed', NULL
    WHERE m.status = ANY (:'closed_statuses'::text[])
      AND m.ended_at >= $1::timestamptz AND m.ended_at < $2::timestamptz
    UNION ALL
    SELECT 'force_closed', m.forced_path
    WHERE m.forced_path IS NOT NULL
      AND m.ended_at >= $1::timestamptz AND m.ended_at < $2::timestamptz
) AS kinds
GROUP BY kinds.kind, m.exchange, kinds.path;
