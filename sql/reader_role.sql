-- A SELECT-only role for the audit (what the README recommends): run as a superuser or a role
-- with CREATEROLE in the bot's database, e.g. `psql -d fox_crypto -f sql/reader_role.sql`,
-- then give it a password (ALTER ROLE botaudit_reader PASSWORD '...') and audit with it.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'botaudit_reader') THEN
        CREATE ROLE botaudit_reader LOGIN;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA monitoring TO botaudit_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA monitoring TO botaudit_reader;
