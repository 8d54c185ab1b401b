"""Running aggregates of a run's ticks, fed one snapshot at a time in the run's order (window
mode and the live collector as they build them, replay as it reads them): what the checks, the
hourly observations and the charts need, so no one keeps every snapshot in memory.

Each figure is the one the whole list of snapshots would give, summed in the same order (the
same floats): totals and peaks, the runs of ticks above zero that evidence names, the positions
ever unprotected, the stretches of ticks without the log, each hour's figures, and each per-tick
metric's series downsampled for a chart (every tick up to SERIES_BUCKETS of them; beyond, per
bucket of ticks its first and last, the lowest and highest of the line and of each exchange's
line, and the first and last tick of the bucket where the metric's warning sign holds or its
good indicator is missed)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .downsample import SERIES_BUCKETS, Limits, Line
from .model import GAUGES, CollectionResult, Snapshot

KEPT_RUNS = 10  # the runs above zero evidence names one by one (it counts the others)
HOUR = timedelta(hours=1)
UNPROTECTED = "unprotected_positions"  # the gauge whose runs name their positions
# the per-exchange figure of a gauge's series (the others have none)
EXCHANGE_FIGURE = {"positions_total": "positions"}


@dataclass(slots=True)
class ZeroRun:
    """Consecutive ticks at which a metric had one value above zero."""

    first_tick: int
    first_at: datetime
    last_tick: int
    last_at: datetime
    value: float
    names: set[str]  # the positions the run's ticks name (unprotected_positions only)


@dataclass(slots=True)
class OverZero:
    """Where one metric was above zero: its first KEPT_RUNS runs, and how many runs in all."""

    runs: list[ZeroRun] = field(default_factory=list)
    count: int = 0
    _last_tick: int = 0
    _last_value: float = 0.0

    def feed(self, tick: int, taken_at: datetime, value: float, names: Iterable[str]) -> None:
        if self.count and self._last_tick == tick - 1 and self._last_value == value:
            self._last_tick = tick
            if self.count <= KEPT_RUNS:
                run = self.runs[-1]
                run.last_tick, run.last_at = tick, taken_at
                run.names.update(names)
            return
        self.count += 1
        self._last_tick, self._last_value = tick, value
        if self.count <= KEPT_RUNS:
            self.runs.append(ZeroRun(tick, taken_at, tick, taken_at, value, set(names)))


@dataclass(slots=True)
class Extreme:
    """The highest of values fed, and whether some snapshot lacked the value (counts as 0)."""

    peak: float
    present: int = 1

    def value(self, snapshots: int, missing: float = 0.0) -> float:
        return self.peak if self.present == snapshots else max(self.peak, missing)


@dataclass(slots=True)
class HourFacts:
    """The snapshots of one hour of the run: what the hourly observations show of it."""

    snapshots: int = 0
    positions: float = 0  # the sum of positions_total over the hour's snapshots
    counters: dict[str, float] = field(default_factory=dict)  # sums
    gauges: dict[str, Extreme] = field(default_factory=dict)
    events: float = 0  # the sum of every counter
    last_by_exchange: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    observed: dict[str, list[float]] = field(default_factory=dict)  # name -> [sum, count, max]

    def feed(self, snapshot: Snapshot) -> None:
        self.snapshots += 1
        self.positions += snapshot.gauges.get("positions_total", 0.0)
        for name, value in snapshot.gauges.items():
            known = self.gauges.get(name)
            if known is None:
                self.gauges[name] = Extreme(value)
            else:
                known.present += 1
                known.peak = max(known.peak, value)
        counters = self.counters
        for name, value in snapshot.counters.items():
            counters[name] = counters.get(name, 0.0) + value
        self.events += sum(snapshot.counters.values())
        self.last_by_exchange = snapshot.by_exchange
        for name, value in snapshot.observed.items():
            seen = self.observed.get(name)
            if seen is None:
                self.observed[name] = [value, 1, value]
            else:
                seen[0] += value
                seen[1] += 1
                seen[2] = max(seen[2], value)

    def total(self, counter: str) -> float:
        return self.counters.get(counter, 0.0) if self.snapshots else 0

    def peak(self, gauge: str) -> float:
        known = self.gauges.get(gauge)
        return known.value(self.snapshots) if known is not None else 0.0


class RunDigest:
    """The aggregates of a run, fed its snapshots in the run's order (``feed``); the series
    judged with ``limits`` (metric -> its thresholds), bucketed for ``expected_ticks``."""

    def __init__(
        self,
        started: datetime,
        expected_ticks: int = 0,
        limits: Mapping[str, Limits] | None = None,
    ) -> None:
        self.started = started
        self.limits = dict(limits or {})
        self.width = max(1, math.ceil(expected_ticks / SERIES_BUCKETS))
        self.count = 0
        self._totals: dict[str, float] = {}
        self._peaks: dict[str, Extreme] = {}
        self._over_zero: dict[str, OverZero] = {}
        self.unprotected: set[str] = set()
        self.hours: dict[int, HourFacts] = {}
        self.lines: dict[str, Line] = {}
        self.counters: set[str] = set()
        self.observed: set[str] = set()
        # the first and last tick of each bucket so far: where a line that starts late is 0
        self._edges: list[tuple[int, datetime]] = []
        # the stretches of ticks whose log could not be read (CollectionResult.log_gaps)
        self.log_gaps: list[tuple[int, int, str]] = []
        self.without_log = 0  # how many snapshots carry a log gap
        self._in_log_gap = False

    @classmethod
    def of(
        cls,
        started: datetime,
        snapshots: Iterable[Snapshot],
        expected_ticks: int = 0,
        limits: Mapping[str, Limits] | None = None,
    ) -> RunDigest:
        digest = cls(started, expected_ticks, limits)
        for snapshot in snapshots:
            digest.feed(snapshot)
        return digest

    def feed(self, snapshot: Snapshot) -> None:
        index = self.count
        self.count += 1
        values = dict(snapshot.counters)
        values.update(snapshot.gauges)  # a gauge's name wins, as Snapshot.value has it
        totals = self._totals
        for name, value in snapshot.counters.items():
            totals[name] = totals.get(name, 0.0) + value
        peaks = self._peaks
        for name, value in values.items():
            value = value or 0.0
            known = peaks.get(name)
            if known is None:
                peaks[name] = Extreme(value, 1)
            else:
                known.present += 1
                known.peak = max(known.peak, value)
            if value > 0:
                runs = self._over_zero.get(name)
                if runs is None:
                    runs = self._over_zero[name] = OverZero()
                named = snapshot.unprotected if name == UNPROTECTED else ()
                runs.feed(snapshot.tick, snapshot.taken_at, value, named)
        self.unprotected.update(snapshot.unprotected)
        self._feed_log_gap(snapshot)
        if snapshot.window_end > self.started:
            hour = -((self.started - snapshot.window_end) // HOUR)  # exact, in microseconds
            facts = self.hours.get(hour)
            if facts is None:
                facts = self.hours[hour] = HourFacts()
            facts.feed(snapshot)
        self._feed_lines(index, snapshot)

    def _feed_log_gap(self, snapshot: Snapshot) -> None:
        """A tick without a snapshot in between does not end a stretch; one with the log does."""
        gap = snapshot.log_gap
        if not gap:
            self._in_log_gap = False
            return
        self.without_log += 1
        stretches = self.log_gaps
        if self._in_log_gap and stretches[-1][2] == gap:
            stretches[-1] = (stretches[-1][0], snapshot.tick, gap)
        else:
            stretches.append((snapshot.tick, snapshot.tick, gap))
            self._in_log_gap = True

    def _line(self, name: str, cumulative: bool, index: int) -> Line:
        line = self.lines.get(name)
        if line is None:
            line = self.lines[name] = Line(self.width, cumulative, self.limits.get(name))
            if index:  # first reported now: 0 at every tick before
                line.fill_zeros(list(self._edges), index)
        return line

    def _feed_lines(self, index: int, snapshot: Snapshot) -> None:
        at = snapshot.window_end
        # each figure's exchanges, in the snapshot's order of exchanges
        per_figure: dict[str, dict[str, float]] = {}
        for exchange, figures in snapshot.by_exchange.items():
            for name, value in figures.items():
                per = per_figure.get(name)
                if per is None:
                    per_figure[name] = {exchange: value}
                else:
                    per[exchange] = value
        gauges, counters = snapshot.gauges, snapshot.counters
        for gauge in GAUGES:
            figure = EXCHANGE_FIGURE.get(gauge)
            per = per_figure.get(figure) if figure else None
            self._line(gauge, False, index).feed(index, at, gauges.get(gauge, 0.0), per)
        if not self.counters.issuperset(counters):
            self.counters.update(counters)
        for counter in self.counters:
            self._line(counter, True, index).feed(
                index, at, counters.get(counter, 0.0), per_figure.get(counter)
            )
        for name in {*snapshot.observed, *self.observed}:
            self.observed.add(name)
            self._line(f"observed:{name}", False, index).feed(
                index, at, snapshot.observed.get(name, 0.0), None
            )
        edges = self._edges
        if self.width == 1 or not edges or edges[-1][0] // self.width != index // self.width:
            edges.append((index, at))
        elif len(edges) >= 2 and edges[-2][0] // self.width == index // self.width:
            edges[-1] = (index, at)
        else:
            edges.append((index, at))

    # -- what the checks and the reports read ----------------------------------------------

    def total(self, metric: str) -> float:
        """The counter summed over the snapshots (0 without any)."""
        return self._totals.get(metric, 0.0) if self.count else 0

    def peak(self, metric: str) -> float:
        known = self._peaks.get(metric)
        return known.value(self.count) if known is not None else 0.0

    def over_zero(self, metric: str) -> OverZero:
        return self._over_zero.get(metric) or OverZero()

    def line(self, name: str) -> Line | None:
        return self.lines.get(name)


def digest_of(collection: CollectionResult) -> RunDigest:
    """The collection's digest, or one fed now from its snapshots (a result built without)."""
    if collection.digest is not None:
        return collection.digest
    return RunDigest.of(collection.started_at, collection.snapshots, collection.expected_ticks)
