"""Many runs side by side: one row per run, one column per metric, the overall verdict, and for
each run its change against the run before (the same rules as compare), so a metric's value
is marked where it got significantly worse or better."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from .compare import CompareError, Comparison, Outcome, Settings, compare_records, overall_of, sides
from .records import AuditRecord
from .render import plain

MARKS = {Outcome.WORSE: "!", Outcome.BETTER: "+"}
LEGEND = (
    "! worse than the run before (its verdict, or a significant and relevant change), "
    "+ better; a run that could not be compared with the one before says why"
)


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    title: str
    unit: str


@dataclass(frozen=True, slots=True)
class Trend:
    """``steps[i]`` compares run i+1 with run i: a Comparison, or why there is none."""

    records: tuple[AuditRecord, ...]
    steps: tuple[Comparison | str, ...]
    metrics: tuple[Metric, ...]

    def value(self, run: int, key: str) -> float | None:
        found = sides(self.records[run]).get(key)
        return found[1].value if found else None

    def step(self, run: int) -> Comparison | str | None:
        """The comparison of run ``run`` with the one before (None for the first)."""
        return self.steps[run - 1] if run > 0 else None

    def mark(self, run: int, key: str) -> Outcome | None:
        step = self.step(run)
        if not isinstance(step, Comparison):
            return None
        entry = step.entry(key)
        return entry.outcome if entry is not None and entry.outcome in MARKS else None

    def change(self, run: int) -> str:
        step = self.step(run)
        if step is None:
            return "first run"
        return step.result if isinstance(step, Comparison) else f"not compared: {step}"


def build_trend(records: list[AuditRecord], settings: Settings | None = None) -> Trend:
    steps: list[Comparison | str] = []
    for before, after in pairwise(records):
        try:
            steps.append(compare_records(before, after, settings))
        except CompareError as exc:
            steps.append(str(exc))
    metrics: dict[str, Metric] = {}
    for record in records:
        for key, (title, side) in sides(record).items():
            if not side.preflight:
                metrics.setdefault(key, Metric(key, title, side.unit))
    return Trend(tuple(records), tuple(steps), tuple(metrics.values()))


def cell(trend: Trend, run: int, key: str) -> str:
    value = trend.value(run, key)
    mark = trend.mark(run, key)
    return ("-" if value is None else f"{value:g}") + (MARKS[mark] if mark else "")


def trend_lines(trend: Trend) -> list[str]:
    """One row per run (oldest first), one column per metric, then the overall verdict."""
    header = ["run", "overall", *(m.key for m in trend.metrics), "vs the run before"]
    rows = [
        [
            record.run_id,
            overall_of(record),
            *(cell(trend, n, m.key) for m in trend.metrics),
            trend.change(n),
        ]
        for n, record in enumerate(trend.records)
    ]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header[:-1])]
    lines = [f"trend of {len(trend.records)} runs (oldest first); {LEGEND}"]
    for row in [header, *rows]:
        lines.append(
            "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=False)) + "  " + row[-1]
        )
    return [plain(line) for line in lines]


def trend_json(trend: Trend) -> dict[str, Any]:
    return {
        "metrics": [{"key": m.key, "title": m.title, "unit": m.unit} for m in trend.metrics],
        "runs": [
            {
                "run_id": record.run_id,
                "source": record.source,
                "overall": overall_of(record),
                "vs_previous": trend.change(n),
                "headline_vs_previous": step.headline if isinstance(step, Comparison) else None,
                "values": {m.key: trend.value(n, m.key) for m in trend.metrics},
                "marks": {
                    m.key: mark.value
                    for m in trend.metrics
                    if (mark := trend.mark(n, m.key)) is not None
                },
            }
            for n, record in enumerate(trend.records)
            for step in [trend.step(n)]
        ],
    }
