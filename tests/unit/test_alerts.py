"""Unit tests of alert rules and their grouping into incidents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_botaudit.collection.alerts import IncidentTracker, TrailingMinute, seed_rules, trailing
from pytest_botaudit.record.model import Severity, Snapshot

START = datetime(2025, 10, 18, 7, 0, tzinfo=UTC)


def snap(tick: int, interval: float = 60.0, **values: float) -> Snapshot:
    gauges = {
        k: values.pop(k, 0.0)
        for k in ("positions_total", "unprotected_positions", "aged_positions")
    }
    start = START + timedelta(seconds=(tick - 1) * interval)
    return Snapshot(
        tick,
        start,
        start + timedelta(seconds=interval),
        start + timedelta(seconds=interval),
        gauges,
        values,
    )


def test_repeated_alerts_become_one_incident() -> None:
    tracker = IncidentTracker(seed_rules())
    opened = []
    for tick, unprotected in enumerate([0, 4, 5, 5, 0, 0, 2], 1):
        opened += tracker.observe(
            snap(tick, unprotected_positions=unprotected, positions_total=10, price_updates=100)
        )
    incidents = tracker.incidents()
    assert [i.rule_id for i in opened] == ["unprotected_positions", "unprotected_positions"]
    first, second = incidents
    assert (first.count, first.peak, first.open) == (3, 5, False)
    assert first.first_seen == START + timedelta(minutes=2)
    assert first.last_seen == START + timedelta(minutes=4)
    assert (second.count, second.open, second.severity) == (1, True, Severity.CRITICAL)


def test_persist_requires_consecutive_ticks() -> None:
    tracker = IncidentTracker(seed_rules(), persist=3)
    for tick, aged in enumerate([6, 6, 0, 6, 6, 6], 1):
        tracker.observe(snap(tick, aged_positions=aged, positions_total=10, price_updates=5))
    [incident] = tracker.incidents()
    assert incident.rule_id == "aged_positions"
    assert incident.first_seen == START + timedelta(minutes=4)
    assert incident.count == 3


def test_per_minute_rules_sum_the_trailing_minute_not_extrapolate() -> None:
    tracker = IncidentTracker(seed_rules())
    # one opening per 1-second tick: 60 per minute only once a whole minute is covered
    fired_at = None
    for tick in range(1, 70):
        if tracker.observe(
            snap(tick, 1.0, new_positions_opened=1, positions_total=1, price_updates=1)
        ):
            fired_at = tick
            break
    assert fired_at == 16  # the 16th opening within a minute exceeds 15


def test_no_price_updates_waits_for_a_covered_minute() -> None:
    tracker = IncidentTracker(seed_rules())
    opened = [tracker.observe(snap(t, 60.0, positions_total=3)) for t in (1, 2)]
    assert [i.rule_id for i in opened[0]] == ["no_price_updates"]
    short = IncidentTracker(seed_rules())
    assert short.observe(snap(1, 1.0, positions_total=3)) == []


def test_gap_breaks_a_streak() -> None:
    tracker = IncidentTracker(seed_rules(), persist=2)
    tracker.observe(snap(1, aged_positions=9, price_updates=1))
    tracker.gap()
    tracker.observe(snap(3, aged_positions=9, price_updates=1))
    assert tracker.incidents() == []


@settings(max_examples=60, deadline=None)
@given(
    interval=st.sampled_from([0.5, 1.0, 7.0, 60.0]),
    ticks=st.lists(
        st.fixed_dictionaries(
            {
                "new_positions_opened": st.sampled_from([0.0, 0.0, 1.0, 3.0, 16.0, 0.5]),
                "api_errors": st.sampled_from([0.0, 1.0, 2.0, 6.0, 2.25]),
                "price_updates": st.sampled_from([0.0, 0.0, 4.0]),
                "positions_total": st.sampled_from([0.0, 2.0]),
            }
        ),
        min_size=1,
        max_size=150,
    ),
)
def test_running_sums_fire_as_summing_the_trailing_minute(
    interval: float, ticks: list[dict[str, float]]
) -> None:
    """The per-minute rules and the price-update rule on the tracker's running sums fire at the
    same ticks, with the same values, as on the trailing minute summed afresh, fractions
    included."""
    window = TrailingMinute()
    taken: list[Snapshot] = []
    for tick, values in enumerate(ticks, 1):
        snapshot = snap(tick, interval, **values)
        window.append(snapshot)
        taken.append(snapshot)
        recent = list(trailing(taken))  # a plain list: summed afresh
        assert list(window) == recent
        for rule in seed_rules():
            assert rule.fires(window) == rule.fires(recent), (rule.rule_id, tick)
