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
