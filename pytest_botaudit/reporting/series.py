"""Every per-tick metric of a run as a series over the audit: gauges as sampled, counters as
their running total (the checks judge totals), what a live audit observed; with the threshold
the metric's checks use, the ticks that breach it, and the gaps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from ..judging.verdicts import MetricSpec
from ..record.digest import digest_of
from ..record.downsample import Line
from ..record.model import GAUGES, CollectionResult

OBSERVED_TITLES = {
    "round_trip_ms": ("database round trip", "ms"),
    "db_connections": ("database connections", "connections"),
    "bot_cpu_percent": ("bot CPU", "%"),
    "bot_rss_mb": ("bot memory (RSS)", "MB"),
}
# what a counter without a catalogue metric counts (the rest count events), and its name in
# words (a profile's own counter is named by its id, underscores as spaces)
COUNTER_UNITS = {
    "new_positions_opened": "positions",
    "positions_closed": "positions",
    "price_updates": "updates",
    "ts_activations": "activations",
    "sl_updates_with_ts": "moves",
}
COUNTER_TITLES = {
    "new_positions_opened": "positions opened",
    "positions_closed": "positions closed",
    "price_updates": "price updates",
    "ts_activations": "trailing-stop activations",
    "sl_updates_with_ts": "stop-loss moves by the trailing stop",
}
# units whose values are not whole numbers (the rest are counts: integer ticks)
MEASURED_UNITS = frozenset({"ms", "s", "%", "MB", "updates/min"})
GAUGE_TITLES = {
    "positions_total": ("open positions", "positions"),
    "unprotected_positions": ("positions without stop-loss", "positions"),
    "aged_positions": ("aged positions", "positions"),
}


@dataclass(frozen=True, slots=True)
class Marked:
    """The ticks where a counter counted something, or a gauge was beyond its limit (a
    warning sign holds or a good indicator is missed): how many, the first and the last."""

    count: int = 0
    first: datetime | None = None
    last: datetime | None = None


@dataclass(frozen=True, slots=True)
class Series:
    """A metric's values over the run, downsampled for a chart (record.digest: every tick up
    to 500, else each bucket's first, last, lowest, highest and first and last breaching
    ticks); ``ticks`` and ``marked`` are of every tick of the run."""

    metric: str
    title: str
    unit: str
    cumulative: bool
    times: tuple[datetime, ...]
    values: tuple[float, ...]
    by_exchange: Mapping[str, tuple[float, ...]]
    spec: MetricSpec | None  # the catalogue metric judged on these values, if any
    breaches: tuple[int, ...]  # indexes of the points where a warning sign holds
    misses: tuple[int, ...]  # ... where a good indicator is missed (no warning sign)
    gaps: tuple[tuple[datetime, datetime], ...]
    ticks: int = 0  # the snapshots the series covers (0: as many as its points)
    marked: Marked | None = None  # None: as its points show

    @property
    def peak(self) -> float:
        return max(self.values, default=0.0)

    def seen(self) -> tuple[list[datetime], int, int]:
        """When the metric's problem showed (the first and the last tick), at how many ticks,
        of how many: a counter's ticks that counted something, a gauge's beyond its limit."""
        marked = self.marked
        if marked is None:
            if self.cumulative:
                steps = zip((0.0, *self.values), self.values, strict=False)
                indexes = [i for i, (a, b) in enumerate(steps) if b - a > 0]
            else:
                indexes = sorted({*self.breaches, *self.misses})
            times = [self.times[i] for i in indexes]
            marked = Marked(len(indexes), *(times[0], times[-1]) if times else (None, None))
        ends = [t for t in (marked.first, marked.last) if t is not None]
        return ends, marked.count, self.ticks or len(self.times)


def tick_series(collection: CollectionResult, metrics: Mapping[str, MetricSpec]) -> list[Series]:
    """Every per-tick metric's series, from the run's digest."""
    digest = digest_of(collection)
    if not digest.count:
        return []
    gaps = tuple((g.window_start, g.window_end) for g in collection.gaps)
    series: list[Series] = []

    def add(metric: str, title: str, unit: str, line: Line | None, cumulative: bool) -> None:
        points = line.result() if line is not None else []
        spec = metrics.get(metric)
        values = [p.value for p in points]
        breaches = tuple(
            i for i, v in enumerate(values) if spec and spec.warning and spec.warning.holds(v)
        )
        misses = tuple(
            i
            for i, v in enumerate(values)
            if spec and spec.good and not spec.good.holds(v) and i not in breaches
        )
        exchanges = sorted(
            (line.exchanges if cumulative else line.nonzero) if line is not None else ()
        )
        per = {ex: tuple(p.by_exchange.get(ex, 0.0) for p in points) for ex in exchanges}
        if cumulative and len(per) < 2:
            per = {}
        # what the digest marked with these thresholds; else only the points can tell
        known = line is not None and (cumulative or line.limits == spec)
        series.append(
            Series(
                metric,
                title,
                unit,
                cumulative,
                tuple(p.at for p in points),
                tuple(values),
                per,
                spec,
                breaches,
                misses,
                gaps,
                ticks=digest.count,
                marked=Marked(line.marked, line.first_marked, line.last_marked)
                if known and line is not None
                else None,
            )
        )

    for gauge in GAUGES:
        title, unit = GAUGE_TITLES[gauge]
        add(gauge, title, unit, digest.line(gauge), False)
    for counter in sorted(digest.counters):
        spec = metrics.get(counter)
        named = spec.title if spec else COUNTER_TITLES.get(counter, counter.replace("_", " "))
        title = f"{named}, running total"
        unit = spec.unit if spec else COUNTER_UNITS.get(counter, "events")
        add(counter, title, unit, digest.line(counter), True)
    for name in OBSERVED_TITLES:
        if name in digest.observed:
            title, unit = OBSERVED_TITLES[name]
            add(name, title, unit, digest.line(f"observed:{name}"), False)
    return series


def is_count(series: Series) -> bool:
    """A count (positions, events, incidents): its axis shows whole numbers only."""
    return series.unit not in MEASURED_UNITS and all(float(v).is_integer() for v in series.values)
