-- 11. Activity per hour of the audit: hour h is [since + (h-1) h, since + h h). Positions
-- opened (of which unprotected beyond the grace: fragments/first_stop_loss.sql), closed, closed
-- by force, error events and alert events. One pass over each table.
WITH hours AS (
    SELECT h AS hour,
           :'since'::timestamptz + make_interval(hours => h - 1) AS starts,
           least(:'since'::timestamptz + make_interval(hours => h), :'until'::timestamptz) AS ends
    FROM generate_series(1, greatest(1, ceil(extract(epoch FROM
             :'until'::timestamptz - :'since'::timestamptz) / 3600)::int)) AS h
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
covered AS (  -- the positions opened in the window, and those that ended in it
    SELECT p.:"pos_id"::bigint AS id, p.:"pos_symbol"::text AS symbol,
           p.:"pos_exchange"::text AS exchange, p.:"pos_status"::text AS status,
           p.:"pos_has_stop_loss" IS TRUE AS has_stop_loss,
           :pos_opened_ts AS opened_at,
           p.botaudit_ended_at AS ended_at, p.botaudit_forced_path AS forced_path
    FROM position_rows AS p
    WHERE (p.:"pos_status" = ANY (:'opened_statuses'::text[]) OR p.botaudit_forced_path IS NOT NULL)
      AND ((:pos_opened_ts >= :'since'::timestamptz AND :pos_opened_ts < :'until'::timestamptz)
           OR (p.botaudit_ended_at >= :'since'::timestamptz AND p.botaudit_ended_at < :'until'::timestamptz))
),
-- >>> fragments/first_stop_loss.sql
-- (A fragment of a WITH clause: copied where a query needs it, between markers that
-- `python -m pytest_botaudit.database.sqlfiles` refreshes; one source of the rule.)
-- The first stop-loss of each position of the CTE `covered` (id, symbol, exchange, opened_at,
-- ended_at; instants): the first event of the stop-loss types naming it by position_id or,
-- without one (the bot's stop-loss manager writes none), by symbol and exchange, stamped at
-- most :'sl_match_before_seconds' before it opened and before it ended.
-- In one sort, whatever the number of positions and events, and whatever the planner thinks of
-- them (a join on symbol is positions x events when it guesses wrong): the openings and the
-- stop-loss events in one stream, keyed by position_id and by symbol and exchange; walking each
-- key from its newest row back, the earliest stop-loss seen so far is an opening's first one.
stop_loss_events AS (
    SELECT e.:"ev_position_id"::bigint AS position_id, e.:"ev_symbol"::text AS symbol,
           e.:"ev_exchange"::text AS exchange, e.:"ev_created_at" AS created_at,
           e.:"ev_event_type"::text AS event_type
    FROM :"schema".:"events_table" AS e
    WHERE e.:"ev_event_type" = ANY (:'stop_loss_types'::text[])
      AND e.:"ev_created_at" >= (SELECT min(c.opened_at) FROM covered AS c)
                                - make_interval(secs => :'sl_match_before_seconds'::float8)
),
stop_loss_stream AS (  -- (by, key...): by position_id (1) or by symbol and exchange (2)
    SELECT 1 AS by_key, c.id AS key_id, NULL::text AS key_symbol, NULL::text AS key_exchange,
           c.opened_at - make_interval(secs => :'sl_match_before_seconds'::float8) AS at,
           c.id AS position, c.ended_at, NULL::timestamptz AS placed
    FROM covered AS c
    UNION ALL
    SELECT 2, NULL, c.symbol::text, c.exchange::text,
           c.opened_at - make_interval(secs => :'sl_match_before_seconds'::float8),
           c.id, c.ended_at, NULL
    FROM covered AS c
    WHERE c.symbol IS NOT NULL AND c.exchange IS NOT NULL
    UNION ALL
    SELECT CASE WHEN s.position_id IS NULL THEN 2 ELSE 1 END, s.position_id,
           CASE WHEN s.position_id IS NULL THEN s.symbol END,
           CASE WHEN s.position_id IS NULL THEN s.exchange END,
           s.created_at, NULL, NULL, s.created_at
    FROM stop_loss_events AS s
    WHERE s.position_id IS NOT NULL OR (s.symbol IS NOT NULL AND s.exchange IS NOT NULL)
),
next_stop_loss AS (  -- at an opening: the earliest stop-loss of its key stamped at or after it
    SELECT m.position, m.ended_at,
           min(m.placed) OVER (PARTITION BY m.by_key, m.key_id, m.key_symbol, m.key_exchange
                               ORDER BY m.at DESC, m.placed IS NULL
                               ROWS UNBOUNDED PRECEDING) AS at
    FROM stop_loss_stream AS m
),
first_stop_loss AS (
    SELECT n.position AS id, min(n.at) AS at
    FROM next_stop_loss AS n
    WHERE n.position IS NOT NULL AND n.at IS NOT NULL
      AND (n.ended_at IS NULL OR n.at < n.ended_at)
    GROUP BY n.position
)
-- <<< fragments/first_stop_loss.sql
,
opened AS (
    SELECT floor(extract(epoch FROM c.opened_at - :'since'::timestamptz) / 3600)::int + 1 AS hour,
           count(*) AS opened,
           count(*) FILTER (
               WHERE least(coalesce(s.at, :'until'::timestamptz),
                           coalesce(c.ended_at, :'until'::timestamptz), :'until'::timestamptz)
                     > c.opened_at + make_interval(secs => :'sl_grace_seconds'::float8)
                 AND (s.at IS NOT NULL OR NOT c.has_stop_loss)
           ) AS opened_unprotected
    FROM covered AS c
    LEFT JOIN first_stop_loss AS s ON s.id = c.id
    WHERE c.opened_at >= :'since'::timestamptz AND c.opened_at < :'until'::timestamptz
    GROUP BY 1
),
ended AS (
    SELECT floor(extract(epoch FROM c.ended_at - :'since'::timestamptz) / 3600)::int + 1 AS hour,
           count(*) FILTER (WHERE c.status = ANY (:'closed_statuses'::text[])) AS closed,
           count(*) FILTER (WHERE c.forced_path IS NOT NULL) AS closed_by_force
    FROM covered AS c
    WHERE c.ended_at >= :'since'::timestamptz AND c.ended_at < :'until'::timestamptz
    GROUP BY 1
),
events AS (
    SELECT floor(extract(epoch FROM e.created_at - :'since'::timestamptz) / 3600)::int + 1
               AS hour,
           count(*) FILTER (WHERE e.severity IN ('ERROR', 'CRITICAL')
                            OR e.event_type = ANY (:'error_types'::text[])) AS errors,
           count(*) FILTER (WHERE e.event_type = ANY (:'alert_types'::text[])) AS alerts
    FROM :"schema".:"events_table" AS e
    WHERE e.created_at >= :'since'::timestamptz AND e.created_at < :'until'::timestamptz
      AND e.event_type <> ALL (:'high_rate_types'::text[])
      -- only the rows counted reach the sort by hour; (event_type || '') keeps the OR off the
      -- event_type index (see 04_errors.sql)
      AND (e.severity IN ('ERROR', 'CRITICAL')
           OR (e.event_type || '') = ANY (:'error_types'::text[] || :'alert_types'::text[]))
    GROUP BY 1
)
SELECT hours.hour, hours.starts, hours.ends,
       coalesce(opened.opened, 0) AS opened,
       coalesce(opened.opened_unprotected, 0) AS opened_unprotected,
       coalesce(ended.closed, 0) AS closed,
       coalesce(ended.closed_by_force, 0) AS closed_by_force,
       coalesce(events.errors, 0) AS errors,
       coalesce(events.alerts, 0) AS alerts
FROM hours
LEFT JOIN opened ON opened.hour = hours.hour
LEFT JOIN ended ON ended.hour = hours.hour
LEFT JOIN events ON events.hour = hours.hour
ORDER BY hours.hour;
