-- The functions a profile query would run, as pre-flight found them in its query tree: the
-- functions it calls, those behind its operators, and the support functions of its aggregates
-- (an aggregate's own pg_proc row is always IMMUTABLE: what it runs is in pg_aggregate), each
-- with the volatility the catalog gives it.
--   $1 function oids (oid[])   $2 operator oids (oid[])
WITH called AS (
    SELECT f.oid FROM unnest($1::oid[]) AS f (oid)
    UNION
    SELECT o.oprcode::oid FROM pg_operator AS o WHERE o.oid = ANY ($2::oid[])
),
reached AS (
    SELECT c.oid FROM called AS c
    UNION
    SELECT s.oid
    FROM pg_aggregate AS a
    JOIN called AS c ON c.oid = a.aggfnoid::oid
    CROSS JOIN LATERAL (
        VALUES (a.aggtransfn::oid), (a.aggfinalfn::oid), (a.aggcombinefn::oid),
               (a.aggserialfn::oid), (a.aggdeserialfn::oid), (a.aggmtransfn::oid),
               (a.aggminvtransfn::oid), (a.aggmfinalfn::oid)
    ) AS s (oid)
    WHERE s.oid <> 0
)
SELECT p.oid, n.nspname::text AS schema, p.proname::text AS name,
       format('%I.%I(%s)', n.nspname, p.proname, oidvectortypes(p.proargtypes))
           AS signature,
       p.provolatile::text AS volatility
FROM reached AS r
JOIN pg_proc AS p ON p.oid = r.oid
JOIN pg_namespace AS n ON n.oid = p.pronamespace
ORDER BY signature;
