-- 6. Positions still open at the end of the window, by age: the bot's maximum age to double
-- it, double to four times, and beyond (3-6 h, 6-12 h, > 12 h for the contract's 3 h).
WITH open_at_end AS (
    SELECT extract(epoch FROM :'until'::timestamptz - :pos_opened_ts) / 3600 AS hours
    FROM :"schema".:"positions_table" AS p
    WHERE :pos_opened_ts < :'until'::timestamptz
      AND (p.closed_at IS NULL OR :pos_closed_ts >= :'until'::timestamptz)
      AND p.status = ANY (:'open_statuses'::text[])
)
SELECT b.bucket, count(o.hours) AS positions
FROM (VALUES (1, :'max_age_hours'::float8 || '-' || 2 * :'max_age_hours'::float8 || ' h',
              :'max_age_hours'::float8, 2 * :'max_age_hours'::float8),
             (2, 2 * :'max_age_hours'::float8 || '-' || 4 * :'max_age_hours'::float8 || ' h',
              2 * :'max_age_hours'::float8, 4 * :'max_age_hours'::float8),
             (3, '> ' || 4 * :'max_age_hours'::float8 || ' h',
              4 * :'max_age_hours'::float8, 'infinity'::float8))
     AS b (rank, bucket, low, high)
LEFT JOIN open_at_end AS o ON o.hours >= b.low AND o.hours < b.high
GROUP BY b.rank, b.bucket
ORDER BY b.rank;
