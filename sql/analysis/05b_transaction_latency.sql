-- 5. Latency (ms) of the bot's database transactions (its transaction_log: duration_ms, by
-- started_at; the profile names both), where the bot has that table, over [since, until).
SELECT count(*) AS samples,
       round(avg(t.:"tx_duration_ms")::numeric, 2) AS avg_ms,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY t.:"tx_duration_ms")::numeric, 2)
           AS p95_ms,
       round(max(t.:"tx_duration_ms")::numeric, 2) AS max_ms
FROM :"schema".:"transaction_log_table" AS t
WHERE t.:"tx_started_at" >= :'since'::timestamptz AND t.:"tx_started_at" < :'until'::timestamptz;
