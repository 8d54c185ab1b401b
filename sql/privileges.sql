-- What the audit's role may do to the profile's tables besides reading: it should be nothing.
--   $1 schema name   $2 table names (text[])
SELECT t.table_name::text AS table_name, p.privilege::text AS privilege
FROM unnest($2::text[]) AS t (table_name)
CROSS JOIN unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS p (privilege)
WHERE to_regclass(format('%I.%I', $1::text, t.table_name)) IS NOT NULL
  AND has_table_privilege(format('%I.%I', $1::text, t.table_name), p.privilege)
ORDER BY 1, 2;
