"""Warning signs of the seed's "Interpreting Results": each passes while its sign is absent."""

import pytest

pytestmark = pytest.mark.warning_sign


class TestMonitoring:
    def test_missing_snapshots(self, audit_check):
        audit_check.warning_sign("snapshots_collected")

    @pytest.mark.critical
    def test_multiple_critical_alerts(self, audit_check):
        audit_check.warning_sign("critical_alerts")

    def test_high_warning_alert_count(self, audit_check):
        audit_check.warning_sign("warning_alerts")


class TestPositions:
    @pytest.mark.critical
    def test_positions_without_stop_loss(self, audit_check):
        audit_check.warning_sign("unprotected_positions")

    @pytest.mark.critical
    def test_emergency_closes(self, audit_check):
        audit_check.warning_sign("emergency_closes")

    def test_many_aged_positions(self, audit_check):
        audit_check.warning_sign("aged_positions")


class TestPerformance:
    def test_slow_api_responses(self, audit_check):
        audit_check.warning_sign("api_response_ms")

    def test_slow_sl_updates(self, audit_check):
        audit_check.warning_sign("sl_update_latency_ms")

    def test_frequent_timeouts(self, audit_check):
        audit_check.warning_sign("timeouts")

    def test_slow_operations_over_1s(self, audit_check):
        audit_check.warning_sign("slow_operations")


class TestStability:
    def test_frequent_websocket_reconnects(self, audit_check):
        audit_check.warning_sign("ws_reconnects")

    def test_high_api_errors(self, audit_check):
        audit_check.warning_sign("api_errors")

    def test_multiple_zombie_orders(self, audit_check):
        audit_check.warning_sign("zombie_orders")


class TestTrailingStop:
    def test_more_than_20_updates_for_one_position(self, audit_check):
        audit_check.warning_sign("ts_updates_per_position")

    def test_more_than_one_update_per_minute(self, audit_check):
        audit_check.warning_sign("ts_updates_per_minute")
