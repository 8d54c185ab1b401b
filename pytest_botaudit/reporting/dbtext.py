"""The database analysis as text (``analysis_db.txt``, ``botaudit analyze``): a table per SELECT,
aligned like psql prints it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ..database.analysis import DatabaseAnalysis, Table
from ..timefmt import moment, span

MAX_CELL = 90


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return moment(value)
    if isinstance(value, Decimal | float):
        return f"{value:g}" if isinstance(value, float) else format(value.normalize(), "f")
    text = str(value)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def render_table(table: Table) -> list[str]:
    if table.unavailable:
        return [f"   {table.name}: not available: {table.unavailable}"]
    if not table.rows:
        return [f"   {table.name}: (no rows)"]
    cells = [[_cell(v) for v in row] for row in table.rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(table.columns)]
    line = "   " + " | ".join(c.ljust(w) for c, w in zip(table.columns, widths, strict=True))
    rule = "   " + "-+-".join("-" * w for w in widths)
    body = [
        "   " + " | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells
    ]
    count = f"({len(cells)} row{'s' if len(cells) != 1 else ''})"
    return [f"   {table.name}:", line, rule, *body, f"   {count}"]


def render_db_report(analysis: DatabaseAnalysis) -> str:
    lines = [
        "BOT DATABASE ANALYSIS",
        "=" * 72,
        f"window {span(analysis.since, analysis.until)}",
    ]
    for section in analysis.sections:
        lines += ["", f"{section.number}. {section.title.upper()}"]
        if section.unavailable:
            lines.append(f"   not available: {section.unavailable}")
            continue
        for table in section.tables:
            lines += [*render_table(table), ""]
        if section.note:
            lines.append(f"   {section.note}")
    return "\n".join(lines).rstrip() + "\n"
