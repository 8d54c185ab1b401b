"""Every per-tick metric of a run as a series over the audit: gauges as sampled, counters as
their running total (the checks judge totals), what a live audit observed; with the threshold
the metric's checks use, the ticks that breach it, and the gaps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate

from ..judging.verdicts import MetricSpec
from ..record.model import GAUGES, CollectionResult

OBSERVED_TITLES = {
    "round_trip_ms": ("database round trip", "ms"),
    "db_connections": ("database connections", "connections"),
    "bot_cpu_percent": ("bot CPU", "%"),
    "bot_rss_mb": ("bot memory (RSS)", "MB"),
}
# what a counter without a catalogue metric counts (the rest count events)
COUNTER_UNITS = {
    "new_positions_opened": "positions",
    "positions_closed": "positions",
    "price_updates": "updates",
}
GAUGE_TITLES = {
    "positions_total": ("open positions", "positions"),
    "unprotected_positions": ("positions without stop-loss", "positions"),
    "aged_positions": ("aged positions", "positions"),
}


@dataclass(frozen=True, slots=True)
class Series:
    metric: str
    title: str
    unit: str
    cumulative: bool
    times: tuple[datetime, ...]
    values: tuple[float, ...]
    by_exchange: Mapping[str, tuple[float, ...]]
    spec: MetricSpec | None  # the catalogue metric judged on these values, if any
    breaches: tuple[int, ...]  # indexes of the ticks where a warning sign holds
    misses: tuple[int, ...]  # ... where a good indicator is missed (no warning sign)
    gaps: tuple[tuple[datetime, datetime], ...]

    @property
    def peak(self) -> float:
        return max(self.values, default=0.0)


def tick_series(collection: CollectionResult, metrics: Mapping[str, MetricSpec]) -> list[Series]:
    snapshots = sorted(collection.snapshots, key=lambda s: s.tick)
    if not snapshots:
        return []
    times = tuple(s.window_end for s in snapshots)
    gaps = tuple((g.window_start, g.window_end) for g in collection.gaps)
    counters = sorted({k for s in snapshots for k in s.counters})
    observed = [k for k in OBSERVED_TITLES if any(k in s.observed for s in snapshots)]
    exchanges = sorted({ex for s in snapshots for ex in s.by_exchange})
    series: list[Series] = []

    def add(
        metric: str,
        title: str,
        unit: str,
        values: list[float],
        cumulative: bool,
        per_exchange: dict[str, tuple[float, ...]],
    ) -> None:
        spec = metrics.get(metric)
        breaches = tuple(
            i for i, v in enumerate(values) if spec and spec.warning and spec.warning.holds(v)
        )
        misses = tuple(
            i
            for i, v in enumerate(values)
            if spec and spec.good and not spec.good.holds(v) and i not in breaches
        )
        series.append(
            Series(
                metric,
                title,
                unit,
                cumulative,
                times,
                tuple(values),
                per_exchange,
                spec,
                breaches,
                misses,
                gaps,
            )
        )

    for gauge in GAUGES:
        title, unit = GAUGE_TITLES[gauge]
        key = "positions" if gauge == "positions_total" else None
        per = (
            {
                ex: values
                for ex in exchanges
                for values in [tuple(s.by_exchange.get(ex, {}).get(key, 0.0) for s in snapshots)]
                if any(values)
            }
            if key
            else {}
        )
        add(gauge, title, unit, [s.gauges.get(gauge, 0.0) for s in snapshots], False, per)
    for counter in counters:
        spec = metrics.get(counter)
        title = f"{spec.title if spec else counter.replace('_', ' ')}, running total"
        unit = spec.unit if spec else COUNTER_UNITS.get(counter, "events")
        running = list(accumulate(s.counters.get(counter, 0.0) for s in snapshots))
        per = {
            ex: tuple(accumulate(s.by_exchange.get(ex, {}).get(counter, 0.0) for s in snapshots))
            for ex in exchanges
            if any(counter in s.by_exchange.get(ex, {}) for s in snapshots)
        }
        add(counter, title, unit, running, True, per if len(per) > 1 else {})
    for name in observed:
        title, unit = OBSERVED_TITLES[name]
        add(name, title, unit, [s.observed.get(name, 0.0) for s in snapshots], False, {})
    return series
