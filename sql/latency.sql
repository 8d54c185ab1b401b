-- Latency statistics (ms) of events that carry a duration in event_data, over [$1, $2): the
-- figures the checks judge, and what a rerun is compared on: the samples' count, mean,
-- standard deviation and quantiles, and the means of their time batches of $5 seconds (the
-- samples themselves are not independent: a fill and its stop-loss are timed together).
--   $1 window start   $2 window end   $3 event types (text[])   $4 event_data key (text)
--   $5 batch length in seconds
WITH timed AS (
    SELECT e.:"ev_created_at" AS at, (e.:"ev_event_data" ->> $4::text)::float8 AS ms
    FROM :"schema".:"events_table" AS e
    WHERE e.:"ev_created_at" >= $1::timestamptz AND e.:"ev_created_at" < $2::timestamptz
      AND e.:"ev_event_type" = ANY ($3::text[])
      AND jsonb_typeof(e.:"ev_event_data" -> $4::text) = 'number'
), batch AS (
    SELECT avg(ms) AS ms
    FROM timed
    GROUP BY floor(extract(epoch FROM at) / $5::float8)
)
SELECT s.samples, s.avg_ms, s.sd_ms, s.p50_ms, s.p95_ms, s.max_ms,
       b.batches, b.batch_mean_ms, b.batch_sd_ms
FROM (
    SELECT count(ms) AS samples,
           avg(ms) AS avg_ms,
           stddev_samp(ms) AS sd_ms,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50_ms,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) AS p95_ms,
           max(ms) AS max_ms
    FROM timed
) AS s, (
    SELECT count(*) AS batches, avg(ms) AS batch_mean_ms, stddev_samp(ms) AS batch_sd_ms
    FROM batch
) AS b;
