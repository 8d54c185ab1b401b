-- Every event type written in [$1, $2) with its count and first occurrence: what a rerun
-- compares to list the event types new to it (one range scan of the created_at index).
--   $1 window start   $2 window end
SELECT e.:"ev_event_type"::text AS event_type,
       count(*) AS events,
       min(e.:"ev_created_at") AS first_at
FROM :"schema".:"events_table" AS e
WHERE e.:"ev_created_at" >= $1::timestamptz AND e.:"ev_created_at" < $2::timestamptz
GROUP BY 1
ORDER BY 1;
