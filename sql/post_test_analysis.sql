-- The 14-section database analysis of an audit window, against the bot contract's schema:
--
--   psql -v ON_ERROR_STOP=1 -v hours=8 -f sql/post_test_analysis.sql
--   psql -v ON_ERROR_STOP=1 -v since='2025-10-18 07:00+00' -v until='2025-10-18 15:00+00' \
--        -f sql/post_test_analysis.sql
--
-- Read-only (one READ ONLY transaction), times in UTC. Each table is one SELECT in its own file
-- under analysis/; pytest-botaudit runs the very same files, the window as $1 and $2 and the
-- other variables below from the profile.
\set QUIET on
-- the zone the server gives its sessions: the bot's naive columns (DEFAULT now()) hold it
SELECT current_setting('TimeZone') AS server_zone \gset
SET TIME ZONE 'UTC';
SET jit = off;  -- small queries over one window: compiling them costs more than it saves
BEGIN READ ONLY;

-- the window: -v since=... [-v until=...], else the last -v hours (8 by default)
\if :{?until}
\else
    SELECT now() AS until \gset
\endif
\if :{?since}
\else
    \if :{?hours}
    \else
        \set hours 8
    \endif
    SELECT :'until'::timestamptz - make_interval(hours => :'hours'::int) AS since \gset
\endif

-- the default profile's names and settings (pytest_botaudit/config/profiles/default.toml;
-- a test keeps them equal); override any with -v
\if :{?schema} \else \set schema monitoring \endif
\if :{?positions_table} \else \set positions_table positions \endif
\if :{?events_table} \else \set events_table events \endif
\if :{?trailing_stop_state_table} \else \set trailing_stop_state_table trailing_stop_state \endif
\if :{?transaction_log_table} \else \set transaction_log_table transaction_log \endif
\if :{?pos_id} \else \set pos_id id \endif
\if :{?pos_symbol} \else \set pos_symbol symbol \endif
\if :{?pos_exchange} \else \set pos_exchange exchange \endif
\if :{?pos_status} \else \set pos_status status \endif
\if :{?pos_has_stop_loss} \else \set pos_has_stop_loss has_stop_loss \endif
\if :{?pos_opened_at} \else \set pos_opened_at opened_at \endif
\if :{?pos_closed_at} \else \set pos_closed_at closed_at \endif
\if :{?pos_exit_reason} \else \set pos_exit_reason exit_reason \endif
\if :{?ev_id} \else \set ev_id id \endif
\if :{?ev_event_type} \else \set ev_event_type event_type \endif
\if :{?ev_event_data} \else \set ev_event_data event_data \endif
\if :{?ev_position_id} \else \set ev_position_id position_id \endif
\if :{?ev_symbol} \else \set ev_symbol symbol \endif
\if :{?ev_exchange} \else \set ev_exchange exchange \endif
\if :{?ev_severity} \else \set ev_severity severity \endif
\if :{?ev_created_at} \else \set ev_created_at created_at \endif
\if :{?tx_started_at} \else \set tx_started_at started_at \endif
\if :{?tx_duration_ms} \else \set tx_duration_ms duration_ms \endif
\if :{?open_statuses} \else \set open_statuses '{"active","entry_placed","pending_sl"}' \endif
\if :{?opened_statuses} \else \set opened_statuses '{"active","entry_placed","pending_sl","closed"}' \endif
\if :{?closed_statuses} \else \set closed_statuses '{"closed"}' \endif
\if :{?max_age_hours} \else \set max_age_hours 3.0 \endif
\if :{?sl_grace_seconds} \else \set sl_grace_seconds 30.0 \endif
\if :{?sl_match_before_seconds} \else \set sl_match_before_seconds 10.0 \endif
\if :{?latency_key} \else \set latency_key execution_time_ms \endif
\if :{?stop_loss_types} \else \set stop_loss_types '{"stop_loss_placed","stop_loss_set_on_load"}' \endif
\if :{?ts_update_types} \else \set ts_update_types '{"trailing_stop_updated"}' \endif
\if :{?ts_move_key} \else \set ts_move_key new_stop \endif
\if :{?ts_skip_key} \else \set ts_skip_key action \endif
\if :{?force_statuses} \else \set force_statuses '{"rolled_back","rolled_back","rolled_back","rolled_back","closed"}' \endif
\if :{?force_reasons} \else \set force_reasons '{"rollback: Failed to place stop-loss%","rollback: Stop-loss placement failed%","rollback: %verif%","rollback: Duplicate active position%","emergency: %"}' \endif
\if :{?force_ats} \else \set force_ats '{"closed_at","closed_at","closed_at","closed_at","closed_at"}' \endif
\if :{?force_zones} \else \set force_zones '{"UTC","UTC","UTC","UTC","UTC"}' \endif
\if :{?force_paths} \else \set force_paths '{"rollback: the stop-loss could not be placed","rollback: the stop-loss placement failed","rollback: the position could not be verified after its fill","rollback: a duplicate active position","startup recovery: an open position without a stop-loss"}' \endif
\if :{?race_first_types} \else \set race_first_types '{"position_closed","position_closed","position_closed","position_closed","trailing_stop_sl_updated","position_created"}' \endif
\if :{?race_second_types} \else \set race_second_types '{"position_closed","stop_loss_placed","trailing_stop_updated","trailing_stop_sl_updated","trailing_stop_sl_updated","position_created"}' \endif
\if :{?high_rate_types} \else \set high_rate_types '{"position_updated"}' \endif
\if :{?sl_triggered_types} \else \set sl_triggered_types '{"stop_loss_triggered"}' \endif
\if :{?sl_error_types} \else \set sl_error_types '{"stop_loss_error","stop_loss_set_failed"}' \endif
\if :{?zombie_types} \else \set zombie_types '{"zombie_orders_detected","zombie_order_cancelled","zombie_cleanup_completed","zombie_alert_triggered","aggressive_cleanup_triggered"}' \endif
\if :{?error_types} \else \set error_types '{"exchange_error","error_occurred","database_error","position_error","stop_loss_error","stop_loss_set_failed","trailing_stop_sl_update_failed","position_creation_failed","signal_execution_failed","health_check_failed"}' \endif
\if :{?sync_types} \else \set sync_types '{"synchronization_started","synchronization_completed","phantom_position_detected","phantom_position_closed","missing_position_added","missing_position_added_with_synthetic_id","quantity_mismatch_detected","quantity_updated","position_verified","sync_started","sync_completed"}' \endif
\if :{?alert_types} \else \set alert_types '{"emergency_close_all_triggered","emergency_stop_placed","risk_limits_exceeded","positions_without_sl_detected","zombie_alert_triggered"}' \endif

-- positions' timestamps as instants: a naive column (`timestamp`, the 2025 schema) is read in
-- the server's zone (-v naive_zone=... names another), a timestamptz column as it is
\if :{?naive_zone} \else \set naive_zone :server_zone \endif
SELECT coalesce(bool_or(column_name = :'pos_opened_at' AND data_type = 'timestamp without time zone'), false) AS opened_naive,
       coalesce(bool_or(column_name = :'pos_closed_at' AND data_type = 'timestamp without time zone'), false) AS closed_naive
FROM information_schema.columns
WHERE table_schema = :'schema' AND table_name = :'positions_table' \gset
\if :opened_naive
    \set pos_opened_ts '(p.' :"pos_opened_at" ' AT TIME ZONE ' :'naive_zone' ')'
    \set pos_opened_ts_rule '(p.' :"pos_opened_at" ' AT TIME ZONE coalesce(r.zone, ' :'naive_zone' '))'
\else
    \set pos_opened_ts 'p.' :"pos_opened_at"
    \set pos_opened_ts_rule 'p.' :"pos_opened_at"
\endif
\if :closed_naive
    \set pos_closed_ts '(p.' :"pos_closed_at" ' AT TIME ZONE ' :'naive_zone' ')'
    \set pos_closed_ts_rule '(p.' :"pos_closed_at" ' AT TIME ZONE coalesce(r.zone, ' :'naive_zone' '))'
\else
    \set pos_closed_ts 'p.' :"pos_closed_at"
    \set pos_closed_ts_rule 'p.' :"pos_closed_at"
\endif
\set QUIET off

\echo
\echo 'DATABASE ANALYSIS OF THE WINDOW' :'since' '..' :'until' '(UTC)'
\echo
\echo '1. POSITIONS SUMMARY'
\ir analysis/01_positions_by_exchange.sql
\ir analysis/01b_positions_by_status.sql
\ir analysis/01c_closed_by_force.sql
\echo '2. STOP-LOSS'
\ir analysis/02_stop_loss_by_exchange.sql
\ir analysis/02b_unprotected_positions.sql
\ir analysis/02c_initial_sl_latency.sql
\echo '3. TRAILING STOPS'
\ir analysis/03_trailing_stop.sql
\ir analysis/03b_trailing_by_symbol.sql
\echo '4. ERRORS AND ISSUES'
\ir analysis/04_errors.sql
\echo '5. PERFORMANCE'
\ir analysis/05_latency_by_event_type.sql
\echo '   (transaction_log.duration_ms: run analysis/05b_transaction_latency.sql where the bot has that table)'
\echo '6. AGED POSITIONS'
\ir analysis/06_aged_buckets.sql
\ir analysis/06b_aged_detail.sql
\echo '7. ZOMBIE ORDERS'
\ir analysis/07_zombie_orders.sql
\echo '8. PNL'
\ir analysis/08_pnl_by_exchange.sql
\ir analysis/08b_best_and_worst_trades.sql
\echo '9. WEBSOCKET EVENTS (the bot reports most of them only in its log)'
\ir analysis/09_websocket.sql
\echo '10. RACE CONDITIONS'
\ir analysis/10_race_conditions.sql
\echo '11. HOURLY DISTRIBUTION'
\ir analysis/11_hourly.sql
\echo '12. CRITICAL EVENTS TIMELINE'
\ir analysis/12_critical_timeline.sql
\echo '13. LIFECYCLE OF SAMPLE POSITIONS'
\ir analysis/13_position_lifecycle.sql
\echo '14. DATA INTEGRITY AND DATABASE HEALTH'
\ir analysis/14_table_health.sql
\ir analysis/14b_connections.sql
\ir analysis/14c_synchronization.sql

COMMIT;
