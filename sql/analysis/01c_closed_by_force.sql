-- 1. The positions the bot closed by force in [since, until), each with the path that closed it
-- (the profile's force-close rules) and its exit_reason. At most 50.
WITH
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
SELECT p.:"pos_id"::bigint AS id, p.:"pos_symbol"::text AS symbol,
       p.:"pos_exchange"::text AS exchange, p.botaudit_ended_at AS closed_at, p.botaudit_forced_path AS path,
       left(p.:"pos_exit_reason", 160) AS exit_reason
FROM position_rows AS p
WHERE p.botaudit_forced_path IS NOT NULL
  AND p.botaudit_ended_at >= :'since'::timestamptz AND p.botaudit_ended_at < :'until'::timestamptz
ORDER BY p.botaudit_ended_at, p.:"pos_id"
LIMIT 50;
