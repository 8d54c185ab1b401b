"""A comparison in words: the terminal text, Markdown (for ``audit_report.md`` and
``--markdown``), JSON, and the trend table of more than two runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .compare import Change, Comparison, Delta
from .records import PREFLIGHT, AuditRecord


def _number(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.1%}" if percent else f"{value:g}"


def _change_line(change: Change) -> str:
    return f"{change.label} ({change.name}): {change.reason}"


def delta_rows(deltas: Sequence[Delta]) -> list[tuple[str, ...]]:
    return [
        (
            d.title,
            _number(d.old),
            _number(d.new),
            "-" if d.change is None else f"{d.change:+g}",
            _number(d.relative, percent=True),
            d.unit,
            d.direction.value.replace("_", " ") if d.direction else "-",
        )
        for d in deltas
    ]


DELTA_COLUMNS = ("metric", "old", "new", "change", "relative", "unit", "direction")


def text_lines(comparison: Comparison) -> list[str]:
    c = comparison
    lines = [f"botaudit compare: {c.old.run_id} -> {c.new.run_id}"]
    lines += [f"note: {n}" for n in (*c.old.notes, *c.new.notes)]
    lines += [f"WARNING: not comparable: {w}" for w in c.warnings]
    for title, changes in (("regressions", c.regressions), ("improvements", c.improvements)):
        lines.append(f"{title} ({len(changes)}):")
        lines += [f"  {_change_line(ch)}" for ch in changes] or ["  none"]
    lines.append(f"new checks ({len(c.added)}): {', '.join(c.added) or 'none'}")
    lines.append(f"gone checks ({len(c.gone)}): {', '.join(c.gone) or 'none'}")
    lines.append(f"unchanged: {len(c.unchanged)}")
    rows = delta_rows(c.deltas)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(DELTA_COLUMNS)]
    lines.append("  ".join(h.ljust(w) for h, w in zip(DELTA_COLUMNS, widths, strict=True)))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.append(verdict_line(c))
    return lines


def verdict_line(comparison: Comparison) -> str:
    """The one line to act on: worse, better or the same, and whether to trust it."""
    c = comparison
    caveat = f" (not comparable: {len(c.warnings)} difference(s) above)" if c.warnings else ""
    if c.regressions:
        return (
            f"result: WORSE: {len(c.regressions)} regression(s), {len(c.improvements)} "
            f"improvement(s){caveat}"
        )
    if c.improvements:
        return f"result: better: {len(c.improvements)} improvement(s), no regression{caveat}"
    return f"result: no change beyond the tolerances{caveat}"


def markdown_lines(comparison: Comparison) -> list[str]:
    c = comparison
    lines = [f"Compared with `{c.old.source}` (run {c.old.run_id}): **{verdict_line(c)}**", ""]
    lines += [f"> note: {n}" for n in (*c.old.notes, *c.new.notes)]
    lines += [f"> **not comparable:** {w}" for w in c.warnings]
    for title, changes in (("Regressions", c.regressions), ("Improvements", c.improvements)):
        lines += [f"**{title} ({len(changes)})**", ""]
        lines += [f"- {_change_line(ch)}" for ch in changes] or ["- none"]
        lines.append("")
    lines += [
        f"New checks: {', '.join(c.added) or 'none'}; gone: {', '.join(c.gone) or 'none'}; "
        f"unchanged: {len(c.unchanged)}.",
        "",
        "| " + " | ".join(DELTA_COLUMNS) + " |",
        "|" + "---|" * len(DELTA_COLUMNS),
        *["| " + " | ".join(r) + " |" for r in delta_rows(c.deltas)],
    ]
    return lines


def _change_json(change: Change) -> dict[str, Any]:
    return {
        "name": change.name,
        "metric": change.new.metric,
        "title": change.label,
        "old_verdict": change.old.verdict.value,
        "new_verdict": change.new.verdict.value,
        "old_value": change.old.value,
        "new_value": change.new.value,
        "reason": change.reason,
    }


def to_json(comparison: Comparison, trend: Sequence[AuditRecord] = ()) -> dict[str, Any]:
    c = comparison
    data: dict[str, Any] = {
        "old": {"source": c.old.source, "run_id": c.old.run_id, "status": c.old.status},
        "new": {"source": c.new.source, "run_id": c.new.run_id, "status": c.new.status},
        "warnings": list(c.warnings),
        "notes": [*c.old.notes, *c.new.notes],
        "regressions": [_change_json(ch) for ch in c.regressions],
        "improvements": [_change_json(ch) for ch in c.improvements],
        "unchanged": [ch.name for ch in c.unchanged],
        "new_checks": list(c.added),
        "gone_checks": list(c.gone),
        "deltas": [
            {
                "metric": d.metric,
                "title": d.title,
                "old": d.old,
                "new": d.new,
                "change": d.change,
                "relative": d.relative,
                "direction": d.direction.value if d.direction else None,
            }
            for d in c.deltas
        ],
    }
    if len(trend) > 2:
        data["trend"] = trend_json(trend)
    return data


def _metrics(records: Sequence[AuditRecord]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for record in records:
        for check in record.checks.values():
            if check.metric and check.kind != PREFLIGHT:
                seen.setdefault(check.metric, check.label)
    return list(seen.items())


def _value(record: AuditRecord, metric: str) -> float | None:
    return next(
        (c.value for c in record.checks.values() if c.metric == metric and c.value is not None),
        None,
    )


def trend_lines(records: Sequence[AuditRecord]) -> list[str]:
    """One row per metric, one column per run, oldest to newest."""
    header = ["metric", *(r.run_id for r in records)]
    rows = [
        [title, *(_number(_value(r, metric)) for r in records)]
        for metric, title in _metrics(records)
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = ["trend (oldest to newest):"]
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    return lines


def trend_json(records: Sequence[AuditRecord]) -> dict[str, Any]:
    return {
        "runs": [r.run_id for r in records],
        "metrics": {
            metric: [_value(r, metric) for r in records] for metric, _ in _metrics(records)
        },
    }
