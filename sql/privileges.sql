-- What the audit's role may do besides reading: it should be nothing. One row per power, by
-- name: the role's own attributes; membership, direct or inherited, of the built-in roles that
-- reach the server's files and programs and the other sessions (the bot's); the right to create
-- in the bot's database or schema; and the write grants on the profile's tables.
--   $1 schema name   $2 table names (text[])
WITH me AS (
    SELECT r.rolsuper, r.rolcreaterole, r.rolreplication
    FROM pg_roles AS r
    WHERE r.rolname = current_user
)
SELECT power FROM (
    SELECT 1 AS rank, 'SUPERUSER' AS power FROM me WHERE me.rolsuper
    UNION ALL
    SELECT 2, 'CREATEROLE' FROM me WHERE me.rolcreaterole
    UNION ALL
    SELECT 3, 'REPLICATION' FROM me WHERE me.rolreplication
    UNION ALL
    SELECT 4, 'member of ' || r.rolname
    FROM pg_roles AS r
    WHERE r.rolname IN (
            'pg_execute_server_program', 'pg_write_server_files', 'pg_read_server_files',
            'pg_signal_backend'
        )
      AND pg_has_role(current_user, r.oid, 'MEMBER')
    UNION ALL
    SELECT 5, format('CREATE on database %I', current_database())
    WHERE has_database_privilege(current_database(), 'CREATE')
    UNION ALL
    SELECT 6, format('CREATE on schema %I', n.nspname)
    FROM pg_namespace AS n
    WHERE n.nspname = $1::text AND has_schema_privilege(n.oid, 'CREATE')
    UNION ALL
    SELECT 7, format('%I.%I: %s', $1::text, t.table_name, p.privilege)
    FROM unnest($2::text[]) AS t (table_name)
    CROSS JOIN unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS p (privilege)
    WHERE to_regclass(format('%I.%I', $1::text, t.table_name)) IS NOT NULL
      AND has_table_privilege(format('%I.%I', $1::text, t.table_name), p.privilege)
) AS powers
ORDER BY rank, power;
