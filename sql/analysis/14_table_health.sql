-- 14. The health of the bot's tables: rows (planner estimate), total size, inserts, updates,
-- deletes, dead tuples and the last autovacuum.
SELECT s.relname AS table_name,
       c.reltuples::bigint AS rows_estimate,
       pg_size_pretty(pg_total_relation_size(s.relid)) AS total_size,
       s.n_tup_ins AS inserts, s.n_tup_upd AS updates, s.n_tup_del AS deletes,
       s.n_dead_tup AS dead_tuples, s.last_autovacuum
FROM pg_stat_user_tables AS s
JOIN pg_class AS c ON c.oid = s.relid
WHERE s.schemaname = :'schema'
  AND s.relname IN (:'positions_table', :'events_table', :'trailing_stop_state_table')
ORDER BY s.relname;
