-- 5. Latency (ms) of the bot's database transactions (transaction_log.duration_ms), where the
-- bot has that table, over [since, until).
SELECT count(*) AS samples,
       round(avg(t.duration_ms)::numeric, 2) AS avg_ms,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY t.duration_ms)::numeric, 2) AS p95_ms,
       round(max(t.duration_ms)::numeric, 2) AS max_ms
FROM :"schema".transaction_log AS t
WHERE t.created_at >= :'since'::timestamptz AND t.created_at < :'until'::timestamptz;
