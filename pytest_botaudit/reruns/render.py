"""A comparison in words: the terminal and ``botaudit compare`` text, Markdown (for
``audit_report.md`` and ``--markdown``), JSON, the JUnit suite properties and the HTML
findings' "vs baseline" cell. Log text in it (shapes, samples) is untrusted: ``plain`` makes
it safe for a terminal and ``md`` for Markdown; JSON and HTML escape it at their own edge."""

from __future__ import annotations

from typing import Any

from ..record.shapes import MessageShape
from .compare import Comparison, MetricChange, Outcome, Side
from .records import AuditRecord
from .stats import MEAN_TEST, RATE_TEST

# the listed groups, in the order they are shown
GROUPS = (
    (Outcome.WORSE, "worse"),
    (Outcome.BETTER, "better"),
    (Outcome.NOISE, "within noise"),
    (Outcome.UNTESTED, "changed, judged by its verdict"),
    (Outcome.NEW, "new checks"),
    (Outcome.GONE, "gone checks"),
)
_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#~"})


def plain(text: str) -> str:
    """Text safe for a terminal or a text file: control characters shown as escapes."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def md(text: str) -> str:
    """Text safe inside Markdown: control characters escaped, markup characters quoted."""
    return plain(text).translate(_MD_SPECIAL)


def settings_line(c: Comparison) -> str:
    return (
        f"significance {c.settings.alpha:g} family-wise (Holm), minimum relevant effect "
        f"{c.settings.min_effect:g} (Cohen's d for latencies, h for rates)"
    )


def _shape_line(shape: MessageShape) -> str:
    return (
        f"{shape.level} {shape.shape}: {shape.count}x, first {shape.first_seen}, "
        f"e.g. {shape.where}: {shape.sample}"
    )


def novelty_lines(c: Comparison, warnings: bool = False) -> list[str]:
    """What is new since the baseline, in plain words (untrusted text not yet escaped)."""
    n = c.novelty
    lines = [f"new ERROR/CRITICAL message shapes ({len(n.error_shapes)}):"]
    lines += [f"  {_shape_line(s)}" for s in n.error_shapes] or ["  none"]
    if warnings:
        lines.append(f"new WARNING message shapes ({len(n.warning_shapes)}):")
        lines += [f"  {_shape_line(s)}" for s in n.warning_shapes] or ["  none"]
    types = ", ".join(f"{e.event_type} ({e.count}x, first {e.first_seen})" for e in n.event_types)
    lines.append(f"new event types ({len(n.event_types)}): {types or 'none'}")
    lines += [f"not compared: {reason}" for reason in n.not_compared]
    return lines


def _entry_line(e: MetricChange) -> str:
    return f"{e.title}: {e.reason}"


def table_rows(c: Comparison) -> list[tuple[str, str, str, str]]:
    def shown(side: Side | None) -> str:
        if side is None:
            return "-"
        return side.shown if side.value is None else f"{side.shown} [{side.verdict.value}]"

    return [(e.title, shown(e.old), shown(e.new), e.outcome.value) for e in c.entries]


TABLE_COLUMNS = ("metric", "baseline", "this run", "outcome")


def text_lines(c: Comparison, warnings: bool = False) -> list[str]:
    """The comparison as ``botaudit compare`` prints it: the headline first."""
    lines = [
        c.headline,
        f"compared: {c.old.run_id} (baseline) → {c.new.run_id}; {settings_line(c)}",
    ]
    lines += [f"note: {n}" for n in (*c.old.notes, *c.new.notes)]
    lines += [f"warning: {w}" for w in c.warnings]
    for outcome, title in GROUPS:
        entries = c.of(outcome)
        if entries or outcome in (Outcome.WORSE, Outcome.BETTER):
            lines.append(f"{title} ({len(entries)}):")
            lines += [f"  {_entry_line(e)}" for e in entries] or ["  none"]
    same = c.of(Outcome.SAME)
    checks = sum(1 for e in same if any(side.preflight for side in (e.old, e.new) if side))
    lines.append(
        f"the same: {len(same) - checks} metric(s)"
        + (f" and {checks} pre-flight check(s)" if checks else "")
    )
    lines += novelty_lines(c, warnings)
    rows = table_rows(c)
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(TABLE_COLUMNS)]
    lines.append("  ".join(h.ljust(w) for h, w in zip(TABLE_COLUMNS, widths, strict=True)))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return [plain(line) for line in lines]


def markdown_lines(c: Comparison | Exception) -> list[str]:
    """The comparison in Markdown; a baseline that could not be compared says why."""
    if isinstance(c, Exception):
        return [f"Not compared: {md(str(c))}"]
    lines = [f"**{md(c.headline)}**", ""]
    lines += [
        f"Compared with `{md(c.old.source)}` (run {md(c.old.run_id)}); {settings_line(c)}.",
        "",
    ]
    lines += [f"> note: {md(n)}" for n in (*c.old.notes, *c.new.notes)]
    lines += [f"> **warning:** {md(w)}" for w in c.warnings]
    for outcome, title in GROUPS:
        entries = c.of(outcome)
        if entries or outcome in (Outcome.WORSE, Outcome.BETTER):
            lines += [f"**{title.capitalize()} ({len(entries)})**", ""]
            lines += [f"- {md(_entry_line(e))}" for e in entries] or ["- none"]
            lines.append("")
    lines += [f"The same: {len(c.of(Outcome.SAME))} metric(s).", ""]
    lines += ["**New since the baseline**", ""]
    lines += [  # the items of each list one level in
        f"  - {md(line.strip())}" if line.startswith("  ") else f"- {md(line)}"
        for line in novelty_lines(c)
    ]
    lines += [
        "",
        "| " + " | ".join(TABLE_COLUMNS) + " |",
        "|" + "---|" * len(TABLE_COLUMNS),
        *["| " + " | ".join(md(v) for v in r) + " |" for r in table_rows(c)],
    ]
    return lines


def baseline_lines(c: Comparison) -> list[str]:
    """The comparison with ``--audit-baseline``, as the terminal summary shows it."""
    lines = [f"vs baseline {c.old.source}: {c.headline}"]
    lines += [f"  warning: {w}" for w in c.warnings]
    lines += [f"  worse: {_entry_line(e)}" for e in c.worse]
    lines += [f"  better: {_entry_line(e)}" for e in c.better]
    lines += [f"  new {_shape_line(s)}" for s in c.novelty.error_shapes]
    moved = c.of(Outcome.NOISE, Outcome.UNTESTED)
    if moved:
        lines.append(f"  within noise or judged by verdict: {', '.join(e.title for e in moved)}")
    lines += [f"  not compared: {reason}" for reason in c.novelty.not_compared]
    return [plain(line) for line in lines]


def caption(c: Comparison) -> str:
    """The comparison in one line, under the HTML findings (plain text)."""
    return f"vs baseline {c.old.run_id} ({c.old.source}): {c.headline}"


def cell_text(c: Comparison, key: str) -> str:
    """A metric's line in the HTML findings' "vs baseline" column (plain text)."""
    entry = c.entry(key)
    if entry is None:
        return ""
    return f"{entry.outcome.value}: {entry.reason}"


def junit_properties(c: Comparison) -> list[tuple[str, str]]:
    """The comparison as JUnit suite properties: the headline and one per metric."""
    props = [
        ("baseline", c.old.source),
        ("baseline_run_id", c.old.run_id),
        ("baseline_result", c.result),
        ("baseline_headline", c.headline),
    ]
    props += [(f"vs_baseline.{e.key}", f"{e.outcome.value}: {e.reason}") for e in c.entries]
    props += [
        (f"vs_baseline.new_shape.{n}", _shape_line(s))
        for n, s in enumerate(c.novelty.error_shapes, 1)
    ]
    return props


def _side_json(side: Side | None) -> dict[str, Any] | None:
    if side is None:
        return None
    sample = side.sample
    return {
        "verdict": side.verdict.value,
        "value": side.value,
        "unit": side.unit,
        "thresholds": side.thresholds,
        "rate_per_hour": sample.rate if sample else None,
        "sample": dict(sample.properties()) if sample else None,
    }


def _entry_json(e: MetricChange) -> dict[str, Any]:
    test, side = e.test, e.new or e.old
    return {
        "metric": e.key,
        "kind": "preflight" if side is not None and side.preflight else "metric",
        "title": e.title,
        "outcome": e.outcome.value,
        "reason": e.reason,
        "checks": list(e.names),
        "old": _side_json(e.old),
        "new": _side_json(e.new),
        "test": None
        if test is None
        else {
            "name": test.test,
            "p_value": test.p_value,
            "adjusted_p": e.adjusted_p,
            "effect": test.effect,
            "effect_name": test.effect_name,
        },
    }


def _run_json(record: AuditRecord, overall: str) -> dict[str, Any]:
    return {
        "source": record.source,
        "run_id": record.run_id,
        "status": record.status,
        "overall": overall,
    }


def to_json(c: Comparison, trend: dict[str, Any] | None = None) -> dict[str, Any]:
    """The comparison as data; ``headline`` first."""
    n = c.novelty
    before, after = c.overall
    data: dict[str, Any] = {
        "headline": c.headline,
        "result": c.result,
        "exit_code": c.exit_code,
        "old": _run_json(c.old, before),
        "new": _run_json(c.new, after),
        "settings": {
            "alpha": c.settings.alpha,
            "min_effect": c.settings.min_effect,
            "adjustment": "holm",
            "counts": RATE_TEST,
            "latencies": MEAN_TEST,
        },
        "warnings": list(c.warnings),
        "notes": [*c.old.notes, *c.new.notes],
        "worse": [e.key for e in c.worse],
        "better": [e.key for e in c.better],
        "metrics": [_entry_json(e) for e in c.entries],
        "new_since_baseline": {
            "error_shapes": [s.to_json() for s in n.error_shapes],
            "warning_shapes": [s.to_json() for s in n.warning_shapes],
            "event_types": [
                {"event_type": e.event_type, "count": e.count, "first_seen": e.first_seen}
                for e in n.event_types
            ],
            "not_compared": list(n.not_compared),
        },
    }
    if trend is not None:
        data["trend"] = trend
    return data
