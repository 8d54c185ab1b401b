"""Good indicators of the seed's "Interpreting Results": a miss WARNs, or FAILs when critical."""

import pytest

pytestmark = pytest.mark.good_indicator


class TestMonitoring:
    def test_all_expected_snapshots_collected(self, audit_check):
        audit_check.good_indicator("snapshots_collected")

    def test_no_gaps_in_data(self, audit_check):
        audit_check.good_indicator("snapshot_gaps")

    @pytest.mark.critical
    def test_zero_critical_alerts(self, audit_check):
        audit_check.good_indicator("critical_alerts")


class TestPositions:
    @pytest.mark.critical
    def test_all_positions_have_stop_loss(self, audit_check):
        audit_check.good_indicator("unprotected_positions")

    @pytest.mark.critical
    def test_no_emergency_closes(self, audit_check):
        audit_check.good_indicator("emergency_closes")

    def test_reasonable_aged_position_count(self, audit_check):
        audit_check.good_indicator("aged_positions")


class TestPerformance:
    def test_api_response_time_average_is_low(self, audit_check):
        audit_check.good_indicator("api_response_ms")

    def test_sl_update_latency_is_low(self, audit_check):
        audit_check.good_indicator("sl_update_latency_ms")

    def test_zero_timeout_errors(self, audit_check):
        audit_check.good_indicator("timeouts")


class TestStability:
    def test_few_websocket_reconnects(self, audit_check):
        audit_check.good_indicator("ws_reconnects")

    def test_few_api_errors(self, audit_check):
        audit_check.good_indicator("api_errors")

    def test_zero_zombie_orders(self, audit_check):
        audit_check.good_indicator("zombie_orders")
