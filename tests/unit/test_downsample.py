"""The chart series downsampled as they are fed (record/downsample.py, record/digest.py) against
every tick: each point kept is a real tick with its exact values, every bucket keeps its first,
last, lowest and highest tick (of the line and of each exchange's) and its first and last
breaching tick, and what the findings count of a series is every tick's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_botaudit.judging.verdicts import Threshold
from pytest_botaudit.record.digest import RunDigest
from pytest_botaudit.record.downsample import SERIES_BUCKETS, Line
from pytest_botaudit.record.model import Snapshot

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
EXCHANGES = ("binance", "bybit")


@dataclass(frozen=True)
class Limits:
    good: Threshold | None
    warning: Threshold | None


LIMITS = Limits(good=Threshold("<=", 2), warning=Threshold(">", 5))
values = st.lists(
    st.tuples(
        st.sampled_from([0.0, 0.0, 1.0, 2.0, 3.0, 6.0, 9.0, 0.5]),
        st.sampled_from([0.0, 1.0, 4.0]),
    ),
    min_size=1,
    max_size=1200,
)


def _fed(width: int, ticks: list[tuple[float, float]], plain: bool) -> Line:
    """A line with the thresholds and two exchanges, or (``plain``) with neither."""
    line = Line(width, False, None if plain else LIMITS)
    for index, (value, bybit) in enumerate(ticks):
        at = START + timedelta(seconds=index)
        line.feed(index, at, value, None if plain else {"binance": value - bybit, "bybit": bybit})
    return line


@settings(max_examples=80, deadline=None)
@given(ticks=values, width=st.sampled_from([1, 2, 3, 7, 29]), plain=st.booleans())
def test_every_point_is_a_tick_and_every_bucket_keeps_its_extremes_and_breaches(
    ticks: list[tuple[float, float]], width: int, plain: bool
) -> None:
    points = _fed(width, ticks, plain).result()
    indexes = [p.index for p in points]
    assert indexes == sorted(set(indexes))
    for point in points:
        value, bybit = ticks[point.index]
        assert point.value == value
        if plain:
            assert (dict(point.by_exchange), point.breach, point.miss) == ({}, False, False)
            continue
        assert dict(point.by_exchange) == {"binance": value - bybit, "bybit": bybit}
        assert point.breach == (value > 5)
        assert point.miss == (2 < value <= 5)
    kept = set(indexes)
    for first in range(0, len(ticks), width):
        bucket = range(first, min(first + width, len(ticks)))
        assert {bucket[0], bucket[-1]} <= kept
        figures: list[Callable[[int], float]] = [lambda i: ticks[i][0]]
        if not plain:
            figures += [lambda i: ticks[i][0] - ticks[i][1], lambda i: ticks[i][1]]
        for figure in figures:
            assert any(figure(i) == min(figure(j) for j in bucket) for i in kept & set(bucket))
            assert any(figure(i) == max(figure(j) for j in bucket) for i in kept & set(bucket))
        for flagged in (
            ()
            if plain
            else (
                [i for i in bucket if ticks[i][0] > 5],
                [i for i in bucket if 2 < ticks[i][0] <= 5],
            )
        ):
            if flagged:
                assert {flagged[0], flagged[-1]} <= kept
    # the whole line's lowest and highest values are on the chart, and width 1 is every tick
    assert min(p.value for p in points) == min(v for v, _ in ticks)
    assert max(p.value for p in points) == max(v for v, _ in ticks)
    if width == 1:
        assert indexes == list(range(len(ticks)))


def _snapshot(index: int, unprotected: float) -> Snapshot:
    start = START + timedelta(seconds=index)
    end = start + timedelta(seconds=1)
    return Snapshot(
        index + 1,
        start,
        end,
        end,
        {"positions_total": 10.0, "unprotected_positions": unprotected, "aged_positions": 0.0},
        {"api_errors": float(index % 3 == 0)},
    )


@settings(max_examples=25, deadline=None)
@given(
    unprotected=st.lists(st.sampled_from([0.0, 0.0, 0.0, 1.0, 3.0]), min_size=1, max_size=400),
    repeat=st.sampled_from([1, 7, 40]),
)
def test_a_downsampled_series_keeps_every_breach_counted_and_its_extremes(
    unprotected: list[float], repeat: int
) -> None:
    """Fed more ticks than SERIES_BUCKETS, the digest's line is bucketed; the ticks a finding
    counts (every breaching one), their first and last, and the extremes are still every
    tick's."""
    ticks = [value for value in unprotected for _ in range(repeat)]
    limits = {"unprotected_positions": Limits(Threshold("<=", 0), Threshold(">", 0))}
    digest = RunDigest(START, len(ticks), limits)
    for index, value in enumerate(ticks):
        digest.feed(_snapshot(index, value))
    line = digest.line("unprotected_positions")
    assert line is not None
    points = line.result()
    assert len(points) <= len(ticks)
    if len(ticks) > SERIES_BUCKETS:
        assert line.width > 1
    breaching = [i for i, v in enumerate(ticks) if v > 0]
    assert line.marked == len(breaching)
    if breaching:
        at = [START + timedelta(seconds=i + 1) for i in (breaching[0], breaching[-1])]
        assert (line.first_marked, line.last_marked) == tuple(at)
        assert {breaching[0], breaching[-1]} <= {p.index for p in points}
    assert max(p.value for p in points) == max(ticks)
    assert min(p.value for p in points) == min(ticks)


def _whole_bucket_choice(ticks: list[tuple[float, float | None]], width: int) -> list[int]:
    """The ticks each bucket keeps, chosen among all of its ticks at once: the first and last,
    the first lowest and first highest of the line and of each exchange's (0 where a tick does
    not name the exchange), the first and last breach and miss."""
    kept: list[int] = []
    for first in range(0, len(ticks), width):
        bucket = list(range(first, min(first + width, len(ticks))))
        keep = {bucket[0], bucket[-1]}
        figures: list[Callable[[int], float]] = [lambda i: ticks[i][0]]
        if any(ticks[i][1] is not None for i in bucket):
            figures.append(lambda i: ticks[i][1] or 0.0)
        figures.append(lambda i: ticks[i][0] - (ticks[i][1] or 0.0))
        for figure in figures:
            line = [figure(i) for i in bucket]
            keep |= {bucket[line.index(min(line))], bucket[line.index(max(line))]}
        for flagged in (
            [i for i in bucket if ticks[i][0] > 5],
            [i for i in bucket if 2 < ticks[i][0] <= 5],
        ):
            keep |= {flagged[0], flagged[-1]} if flagged else set()
        kept += sorted(keep)
    return kept


@settings(max_examples=60, deadline=None)
@given(
    ticks=st.lists(
        st.tuples(
            st.sampled_from([0.0, 0.0, 1.0, 2.0, 3.0, 6.0, 9.0, 0.5]),
            st.sampled_from([None, 0.0, 1.0, 4.0]),
        ),
        min_size=1,
        max_size=1500,
    ),
    width=st.sampled_from([3, 29, 700, 1500]),
)
def test_a_long_bucket_keeps_what_choosing_among_all_its_ticks_keeps(
    ticks: list[tuple[float, float | None]], width: int
) -> None:
    """A bucket of more ticks than the line holds open keeps its chosen ticks so far as it goes
    on: the same ticks as choosing once among all of them, also for an exchange some ticks do
    not name (a gauge's exchange without positions)."""
    line = Line(width, False, LIMITS)
    for index, (value, bybit) in enumerate(ticks):
        by_exchange = {"binance": value - (bybit or 0.0)}
        if bybit is not None:
            by_exchange["bybit"] = bybit
        line.feed(index, START + timedelta(seconds=index), value, by_exchange)
    assert [p.index for p in line.result()] == _whole_bucket_choice(ticks, width)
