-- 10. Race conditions: two conflicting changes of one position's state less than 1 s apart, by
-- pair of event types, with the closest example. A race is a pair the profile names
-- (race_pairs: a close followed by another close, by a stop-loss placement or by a trailing-
-- stop move; two stop-loss moves at once; two openings), never the bot's normal sequences
-- (an opening followed by its stop-loss). One position is its symbol and exchange (the bot's
-- stop-loss and trailing-stop events carry no position_id), else its id. One pass.
WITH pairs AS (
    SELECT r.first, r.second
    FROM unnest(:'race_first_types'::text[], :'race_second_types'::text[]) AS r (first, second)
),
ordered AS (
    SELECT e.id, e.event_type, e.created_at,
           coalesce(e.symbol || '@' || coalesce(e.exchange, '?'), e.position_id::text) AS subject,
           lag(e.event_type) OVER w AS previous_type,
           lag(e.created_at) OVER w AS previous_at,
           lag(e.id) OVER w AS previous_id
    FROM :"schema".:"events_table" AS e
    WHERE e.created_at >= :'since'::timestamptz AND e.created_at < :'until'::timestamptz
      AND (e.event_type || '') = ANY (:'race_first_types'::text[] || :'race_second_types'::text[])
      AND (e.position_id IS NOT NULL OR e.symbol IS NOT NULL)
    WINDOW w AS (PARTITION BY coalesce(e.symbol || '@' || coalesce(e.exchange, '?'),
                                       e.position_id::text)
                 ORDER BY e.created_at, e.id)
),
close_pairs AS (
    SELECT o.previous_type, o.event_type, o.subject, o.previous_id, o.id,
           extract(epoch FROM o.created_at - o.previous_at)::float8 * 1000 AS gap_ms
    FROM ordered AS o
    JOIN pairs AS p ON p.first = o.previous_type AND p.second = o.event_type
    WHERE o.previous_at IS NOT NULL AND o.created_at - o.previous_at < interval '1 second'
)
SELECT previous_type || ' -> ' || event_type AS pair,
       count(*) AS occurrences,
       round(min(gap_ms)::numeric, 1) AS closest_ms,
       (array_agg(subject || ' (events ' || previous_id || ', ' || id || ')'
                  ORDER BY gap_ms, id))[1] AS closest_example
FROM close_pairs
GROUP BY previous_type, event_type
ORDER BY occurrences DESC, pair
LIMIT 50;
