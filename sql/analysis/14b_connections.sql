-- 14. Connections to this database now, by state and application.
SELECT coalesce(a.state, 'unknown') AS state,
       coalesce(nullif(a.application_name, ''), '(none)') AS application,
       count(*) AS connections
FROM pg_stat_activity AS a
WHERE a.datname = current_database()
GROUP BY 1, 2
ORDER BY connections DESC, 1, 2;
