-- 4. Errors over [since, until) by event type, exchange and error code: count, first and
-- last seen. The code is the exchange's (the bot's ret_code, a retCode or code in the event
-- data or in the JSON of its error text, "Bybit API error 10001: ..."), else the error text
-- with its numbers masked.
-- (event_type || '') and (severity || '') keep the planner on the created_at range: the
-- work is the window's whatever the history holds (the event_type index spans all of it).
SELECT e.event_type,
       coalesce(e.exchange, 'unknown') AS exchange,
       coalesce(e.event_data ->> 'ret_code', e.event_data ->> 'retCode',
                e.event_data ->> 'code',
                substring(coalesce(e.event_data ->> 'error', e.error_message, '')
                          FROM '(?:retCode|code|API error)"?[: ]+(-?[0-9]+)'),
                left(regexp_replace(coalesce(e.error_message, e.event_data ->> 'error', ''),
                                    '[0-9]+', 'N', 'g'), 80)) AS error_code,
       count(*) AS errors,
       min(e.created_at) AS first_seen,
       max(e.created_at) AS last_seen
FROM :"schema".:"events_table" AS e
WHERE e.created_at >= :'since'::timestamptz AND e.created_at < :'until'::timestamptz
  AND ((e.severity || '') IN ('ERROR', 'CRITICAL')
       OR (e.event_type || '') = ANY (:'error_types'::text[]))
GROUP BY 1, 2, 3
ORDER BY errors DESC, 1, 2, 3
LIMIT 100;
