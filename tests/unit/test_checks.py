"""Unit tests of verdicts and threshold configuration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.database.window import WindowStats
from pytest_botaudit.errors import ConfigError
from pytest_botaudit.judging.audit import AuditData
from pytest_botaudit.judging.catalogue import METRICS, configure_metrics
from pytest_botaudit.judging.verdicts import Kind, Measurement, Threshold, Verdict, judge
from pytest_botaudit.record.model import CollectionResult, Snapshot, StopReason

_RANK = {Verdict.PASS: 0, Verdict.WARN: 1, Verdict.FAIL: 2}


def _verdict(metric: str, kind: Kind, value: float) -> Verdict:
    return judge(METRICS[metric], kind, Measurement(value)).verdict


@pytest.mark.parametrize(
    ("metric", "kind", "value", "expected"),
    [
        ("ws_reconnects", Kind.GOOD_INDICATOR, 4, Verdict.PASS),
        ("ws_reconnects", Kind.GOOD_INDICATOR, 5, Verdict.WARN),
        ("ws_reconnects", Kind.WARNING_SIGN, 20, Verdict.PASS),
        ("ws_reconnects", Kind.WARNING_SIGN, 21, Verdict.FAIL),
        ("unprotected_positions", Kind.GOOD_INDICATOR, 0, Verdict.PASS),
        ("unprotected_positions", Kind.GOOD_INDICATOR, 1, Verdict.FAIL),  # critical
        ("emergency_closes", Kind.WARNING_SIGN, 1, Verdict.FAIL),
        ("critical_alerts", Kind.WARNING_SIGN, 1, Verdict.PASS),  # "multiple" means > 1
        ("critical_alerts", Kind.GOOD_INDICATOR, 1, Verdict.FAIL),
        ("snapshots_collected", Kind.GOOD_INDICATOR, 99.5, Verdict.WARN),
        ("snapshots_collected", Kind.WARNING_SIGN, 99.5, Verdict.FAIL),
        ("api_response_ms", Kind.GOOD_INDICATOR, 499.9, Verdict.PASS),
        ("api_response_ms", Kind.WARNING_SIGN, 1000.1, Verdict.FAIL),
    ],
)
def test_seed_thresholds(metric: str, kind: Kind, value: float, expected: Verdict) -> None:
    assert _verdict(metric, kind, value) is expected


def test_result_carries_value_thresholds_margin_and_evidence() -> None:
    result = judge(
        METRICS["ws_reconnects"],
        Kind.GOOD_INDICATOR,
        Measurement(7, ("bot.log:12: binance connection unhealthy",), "from the log"),
    )
    props = dict(result.properties())
    assert props == {
        "metric": "ws_reconnects",
        "title": "WebSocket reconnects",
        "direction": "lower_is_better",
        "verdict": "WARN",
        "value": "7",
        "unit": "reconnects",
        "good_threshold": "< 5",
        "warning_threshold": "> 20",
        "margin": "-2",
        "kind": "good_indicator",
        "message": "WARN: WebSocket reconnects = 7 reconnects misses the good indicator < 5 "
        "(good < 5, warning > 20) [from the log]",
    }
    assert any("bot.log:12" in line for line in result.evidence)
    assert "from the log" in result.message


@pytest.mark.parametrize(
    ("metric", "kind", "value", "margin", "direction"),
    [
        # one meaning for both kinds: positive is the safe side of the check's own limit
        ("ws_reconnects", Kind.GOOD_INDICATOR, 3, 2, "lower_is_better"),  # < 5
        ("ws_reconnects", Kind.WARNING_SIGN, 3, 17, "lower_is_better"),  # > 20
        ("ws_reconnects", Kind.WARNING_SIGN, 25, -5, "lower_is_better"),
        ("snapshots_collected", Kind.GOOD_INDICATOR, 100, 0, "higher_is_better"),  # >= 100
        ("snapshots_collected", Kind.WARNING_SIGN, 90, -10, "higher_is_better"),  # < 100
        ("snapshots_collected", Kind.WARNING_SIGN, 100, 0, "higher_is_better"),
    ],
)
def test_margin_is_positive_on_the_safe_side_for_both_kinds(
    metric: str, kind: Kind, value: float, margin: float, direction: str
) -> None:
    result = judge(METRICS[metric], kind, Measurement(value))
    props = dict(result.properties())
    assert result.margin == margin
    assert props["direction"] == direction
    safe = result.verdict is Verdict.PASS
    assert (margin >= 0) == safe


def test_near_miss_and_singular_units() -> None:
    near = judge(METRICS["api_errors"], Kind.WARNING_SIGN, Measurement(46))  # > 50
    far = judge(METRICS["api_errors"], Kind.WARNING_SIGN, Measurement(10))
    crossed = judge(METRICS["api_errors"], Kind.WARNING_SIGN, Measurement(51))
    zero_limit = judge(METRICS["unprotected_positions"], Kind.GOOD_INDICATOR, Measurement(0))
    assert near.near_miss
    assert not far.near_miss
    assert not crossed.near_miss
    assert not zero_limit.near_miss  # a limit of 0 has no 10 % band
    one = judge(METRICS["unprotected_positions"], Kind.GOOD_INDICATOR, Measurement(1))
    assert one.shown_value == "1 position"
    assert "= 1 position " in one.message
    assert zero_limit.shown_value == "0 positions"
    latency = judge(METRICS["api_response_ms"], Kind.GOOD_INDICATOR, Measurement(1))
    assert latency.shown_value == "1 ms"


def test_no_data_is_its_own_verdict_with_the_reason() -> None:
    result = judge(
        METRICS["api_errors"],
        Kind.GOOD_INDICATOR,
        Measurement.no_data("event types ['exchange_error'] never occur"),
    )
    assert result.verdict is Verdict.NO_DATA
    assert "never occur" in result.message
    assert dict(result.properties())["value"] == ""


@given(
    metric=st.sampled_from(sorted(METRICS)),
    kind=st.sampled_from(list(Kind)),
    a=st.floats(0, 1e6),
    b=st.floats(0, 1e6),
)
def test_a_worse_value_never_gives_a_better_verdict(
    metric: str, kind: Kind, a: float, b: float
) -> None:
    spec = METRICS[metric]
    if spec.threshold(kind) is None:
        return
    # every metric but snapshots_collected is "higher is worse"
    better, worse = (
        (max(a, b), min(a, b)) if metric == "snapshots_collected" else (min(a, b), max(a, b))
    )
    assert _RANK[_verdict(metric, kind, worse)] >= _RANK[_verdict(metric, kind, better)]


def test_configured_thresholds_apply() -> None:
    metrics = configure_metrics(
        {"ws_reconnects": {"good": 2, "warning": 3}, "aged_positions": {"severity": "critical"}}
    )
    assert (
        judge(metrics["ws_reconnects"], Kind.WARNING_SIGN, Measurement(4)).verdict is Verdict.FAIL
    )
    assert (
        judge(metrics["aged_positions"], Kind.GOOD_INDICATOR, Measurement(6)).verdict
        is Verdict.FAIL
    )
    assert METRICS["ws_reconnects"].good is not None
    assert METRICS["ws_reconnects"].good.limit == 5  # the defaults are untouched


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        (
            {"ws_reconnects": {"good": "five"}},
            "thresholds.ws_reconnects.good: expected a number, got 'five'",
        ),
        ({"ws_reconects": {"good": 5}}, "thresholds.ws_reconects: unknown metric 'ws_reconects'"),
        ({"ws_reconnects": {"bad": 5}}, "thresholds.ws_reconnects: unknown key 'bad'"),
        (
            {"warning_alerts": {"good": 5}},
            "thresholds.warning_alerts.good: this check has no good threshold",
        ),
        ({"ws_reconnects": 5}, "thresholds.ws_reconnects: expected a table"),
        (
            {"ws_reconnects": {"severity": "high"}},
            "thresholds.ws_reconnects.severity: expected 'critical' or 'normal', got 'high'",
        ),
    ],
)
def test_bad_thresholds_are_named(thresholds: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=r"^pyproject\.toml ") as caught:
        configure_metrics(thresholds, "pyproject.toml [tool.botaudit]")
    assert message in str(caught.value)


def test_pyproject_thresholds_override_the_profile() -> None:
    from_profile = configure_metrics({"ws_reconnects": {"good": 3, "warning": 8}}, "profile p")
    both = configure_metrics({"ws_reconnects": {"warning": 30}}, "[tool.botaudit]", from_profile)
    spec = both["ws_reconnects"]
    assert (spec.good, spec.warning) == (Threshold("<", 3), Threshold(">", 30))


def test_all_snapshots_collected_is_no_near_miss() -> None:
    for kind in (Kind.GOOD_INDICATOR, Kind.WARNING_SIGN):
        full = judge(METRICS["snapshots_collected"], kind, Measurement(100))
        assert full.verdict is Verdict.PASS
        assert not full.near_miss


def test_a_log_figure_names_the_ticks_whose_log_could_not_be_read(tmp_path: Path) -> None:
    """A followed log that stopped being a file for a while: the figures read from the log say
    which ticks they may miss, first in their evidence."""
    start = datetime(2026, 12, 1, tzinfo=UTC)

    def tick(n: int, gap: str = "") -> Snapshot:
        at = start + timedelta(seconds=n)
        return Snapshot(n, at - timedelta(seconds=1), at, at, {}, {}, log_gap=gap)

    why = "bot.log: is a FIFO, not a regular file"
    snapshots = (tick(1), tick(2, why), tick(3, why), tick(4))
    collection = CollectionResult(
        start,
        start + timedelta(seconds=4),
        1.0,
        4.0,
        snapshots,
        (),
        (),
        StopReason.COMPLETED,
        None,
        {},
        (),
        tmp_path / "s.jsonl",
    )
    audit = AuditData(collection, None, WindowStats(), load_profile(), METRICS)
    assert audit.log_evidence("timeout") == (
        f"the log was not readable at ticks 2-3 ({why}): what it logged then may be missing "
        "from this figure",
    )
