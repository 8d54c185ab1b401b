-- The CHECK constraints of the domains among these types and of the domains they are based
-- on: casting a value to a domain runs them all, so the functions they call are the query's.
--   $1 type oids (oid[])
WITH RECURSIVE domains AS (
    SELECT t.oid, t.typbasetype FROM pg_type AS t WHERE t.oid = ANY ($1::oid[]) AND t.typtype = 'd'
    UNION
    SELECT b.oid, b.typbasetype
    FROM pg_type AS b
    JOIN domains AS d ON b.oid = d.typbasetype
    WHERE b.typtype = 'd'
)
SELECT c.conbin::text AS expression
FROM domains AS d
JOIN pg_constraint AS c ON c.contypid = d.oid
WHERE c.contype = 'c' AND c.conbin IS NOT NULL;
