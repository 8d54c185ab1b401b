-- Which of the profile's event types occur at all in the events table (one index probe each).
-- A metric whose types never occur reads a reassuring 0 that means nothing: it is NO-DATA.
--   $1 event types (text[])
SELECT t.event_type
FROM unnest($1::text[]) AS t (event_type)
WHERE EXISTS (
    SELECT 1 FROM :"schema".:"events_table" AS e WHERE e.:"ev_event_type" = t.event_type
);
