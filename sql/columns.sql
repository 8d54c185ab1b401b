-- The columns of the audited tables, for the pre-flight check of the profile.
--   $1 schema name   $2 table names (text[])
SELECT c.table_name::text AS table_name, c.column_name::text AS column_name,
       c.data_type::text AS data_type
FROM information_schema.columns AS c
WHERE c.table_schema = $1 AND c.table_name = ANY ($2::text[])
ORDER BY c.table_name, c.ordinal_position;
