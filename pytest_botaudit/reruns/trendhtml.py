"""``botaudit trend --html``: a self-contained page (inline SVG, no script, no network) with the
trend table and one small chart per metric across the runs, each run whose change against the
one before was significant marked (red: worse, green: better). Every text on the page goes
through ``html.escape``."""

from __future__ import annotations

import io
import math
from html import escape

import matplotlib
from matplotlib.figure import Figure

from .compare import Outcome, overall_of, sides
from .trend import LEGEND, Metric, Trend, cell

MARK_COLOURS = {Outcome.WORSE: "#cf222e", Outcome.BETTER: "#1a7f37"}
OVERALL_COLOURS = {"GREEN": "#1a7f37", "YELLOW": "#9a6700", "RED": "#cf222e"}
STYLE = (
    "body{font-family:sans-serif;margin:1.5em;color:#1f2328}"
    "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #d0d7de;"
    "padding:2px 6px;text-align:right}th{background:#f6f8fa}td.run{text-align:left}"
    ".worse{color:#cf222e;font-weight:bold}.better{color:#1a7f37;font-weight:bold}"
    ".charts{display:flex;flex-wrap:wrap;gap:12px}.chart{width:330px}"
    ".chart h4{margin:4px 0;font-size:12px}"
)


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def metric_chart(trend: Trend, metric: Metric) -> str:
    """The metric across the runs (run 1 is the oldest), its limits dotted."""
    runs = range(1, len(trend.records) + 1)
    values = [trend.value(n - 1, metric.key) for n in runs]
    with matplotlib.rc_context(
        {"svg.fonttype": "none", "font.size": 7, "svg.hashsalt": "botaudit-trend"}
    ):
        figure = Figure(figsize=(3.3, 1.5))
        axes = figure.subplots()
        axes.plot(
            list(runs),
            [math.nan if v is None else v for v in values],
            color="#0b5cad",
            marker="o",
            markersize=3,
            lw=1,
        )
        for n, value in zip(runs, values, strict=True):
            mark = trend.mark(n - 1, metric.key)
            if mark is not None and value is not None:
                axes.plot([n], [value], "o", color=MARK_COLOURS[mark], markersize=7, zorder=3)
        latest = sides(trend.records[-1]).get(metric.key)
        if latest is not None:
            for limit, colour in ((latest[1].good, "#1a7f37"), (latest[1].warning, "#cf222e")):
                if limit is not None:
                    axes.axhline(limit.limit, color=colour, lw=0.8, ls=":")
        axes.set_xticks(list(runs))
        axes.set_xlabel("run")
        axes.set_ylabel(metric.unit)
        axes.margins(x=0.08)
        return _svg(figure)


def render_trend_html(trend: Trend) -> str:
    head = ["#", "run", "overall", *(m.key for m in trend.metrics), "vs the run before"]
    rows = []
    for n, record in enumerate(trend.records):
        overall = overall_of(record)
        cells = [
            f'<td class="run">{n + 1}</td><td class="run">{escape(record.run_id)}</td>',
            f'<td style="color:{OVERALL_COLOURS.get(overall, "#6e40c9")};font-weight:bold">'
            f"{escape(overall)}</td>",
        ]
        for metric in trend.metrics:
            mark = trend.mark(n, metric.key)
            css = f' class="{mark.value}"' if mark else ""
            cells.append(f"<td{css}>{escape(cell(trend, n, metric.key))}</td>")
        cells.append(f'<td class="run">{escape(trend.change(n))}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    charts = "".join(
        f'<div class="chart"><h4>{escape(m.title)}</h4>{metric_chart(trend, m)}</div>'
        for m in trend.metrics
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>botaudit trend</title><style>{STYLE}</style></head><body>"
        f"<h1>Audit trend: {len(trend.records)} runs</h1><p>{escape(LEGEND)}</p>"
        '<div style="overflow-x:auto"><table><thead><tr>'
        + "".join(f"<th>{escape(h)}</th>" for h in head)
        + f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        f'<h2>Each metric across the runs</h2><div class="charts">{charts}</div>'
        "</body></html>\n"
    )
