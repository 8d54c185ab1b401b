"""Charts as inline SVG (matplotlib, no network): each per-tick metric over the audit with its
threshold bands, breaching ticks and gaps; and the incident timeline, a lane per severity."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

import matplotlib
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..record.model import Incident, Severity
from .series import Series

COLOURS = {"total": "#0b5cad", "good": "#1a7f37", "warning": "#cf222e", "miss": "#9a6700"}
EXCHANGE_COLOURS = ("#8250df", "#bf8700", "#1b7c83", "#d1242f", "#57606a")
SEVERITY_COLOURS = {
    Severity.CRITICAL: "#cf222e",
    Severity.WARNING: "#bf8700",
    Severity.INFO: "#0b5cad",
}
RC = {"svg.fonttype": "none", "font.size": 8, "svg.hashsalt": "botaudit"}


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # inline: no XML declaration or DOCTYPE


def _time_axis(axes: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def series_chart(series: Series) -> str:
    """One metric over the audit as an SVG element."""
    # the object API, not pyplot: no global figure state in the user's pytest process
    with matplotlib.rc_context(RC):
        figure = Figure(figsize=(7.5, 2.1))
        axes = figure.subplots()
        times = list(series.times)
        axes.step(
            times,
            series.values,
            where="post",
            color=COLOURS["total"],
            lw=1.2,
            label="all exchanges" if series.by_exchange else series.metric,
        )
        for n, (exchange, values) in enumerate(sorted(series.by_exchange.items())):
            axes.step(
                times,
                values,
                where="post",
                lw=0.9,
                ls="--",
                label=exchange,
                color=EXCHANGE_COLOURS[n % len(EXCHANGE_COLOURS)],
            )
        spec = series.spec
        top = max(series.peak, 1.0)
        if spec is not None:
            if spec.warning is not None:
                axes.axhline(spec.warning.limit, color=COLOURS["warning"], lw=0.8, ls=":")
                above = spec.warning.op in (">", ">=")
                axes.axhspan(
                    spec.warning.limit,
                    top * 1.15 + spec.warning.limit if above else 0,
                    color=COLOURS["warning"],
                    alpha=0.07,
                    lw=0,
                )
                top = max(top, spec.warning.limit)
            if spec.good is not None:
                axes.axhline(spec.good.limit, color=COLOURS["good"], lw=0.8, ls=":")
                top = max(top, spec.good.limit)
        for start, end in series.gaps:
            axes.axvspan(start, end, color="#6e7781", alpha=0.25, lw=0)
        for indexes, colour, label in (
            (series.breaches, COLOURS["warning"], "warning sign"),
            (series.misses, COLOURS["miss"], "good indicator missed"),
        ):
            if indexes:
                axes.plot(
                    [times[i] for i in indexes],
                    [series.values[i] for i in indexes],
                    "o",
                    ms=2.5,
                    color=colour,
                    label=label,
                )
        axes.set_ylim(bottom=0, top=top * 1.15)
        axes.set_ylabel(series.unit)
        axes.set_title(series.title, loc="left", fontsize=9)
        axes.grid(alpha=0.25)
        _time_axis(axes)
        if series.by_exchange or series.breaches or series.misses:
            axes.legend(loc="upper left", fontsize=7, frameon=False, ncol=4)
        return _svg(figure)


def incident_timeline(incidents: Sequence[Incident], start: datetime, end: datetime) -> str:
    """A lane per severity; each incident a bar from first to last seen, labelled with its
    rule and peak."""
    lanes = [s for s in Severity if any(i.severity is s for i in incidents)] or list(Severity)
    with matplotlib.rc_context(RC):
        figure = Figure(figsize=(7.5, 0.6 + 0.45 * len(lanes)))
        axes = figure.subplots()
        span = max((end - start).total_seconds(), 1.0)
        for lane, severity in enumerate(lanes):
            last_label: datetime | None = None
            for incident in (i for i in incidents if i.severity is severity):
                left = mdates.date2num(incident.first_seen)
                width = max(mdates.date2num(incident.last_seen) - left, 1 / 86400)
                axes.broken_barh(
                    [(left, width)],
                    (lane - 0.35, 0.7),
                    color=SEVERITY_COLOURS[severity],
                    alpha=0.85,
                )
                # one label per stretch of the lane, so short incidents in a row stay legible
                gap = (incident.first_seen - last_label).total_seconds() if last_label else span
                if gap >= 0.15 * span:
                    axes.annotate(
                        f"{incident.rule_id} (peak {incident.peak:g})",
                        (left, lane + 0.38),
                        fontsize=6.5,
                        va="bottom",
                    )
                    last_label = incident.first_seen
        axes.set_yticks(range(len(lanes)), [s.value for s in lanes])
        axes.set_ylim(-0.6, len(lanes) - 0.1 + 0.4)
        axes.set_xlim(mdates.date2num(start), mdates.date2num(end))
        axes.grid(axis="x", alpha=0.25)
        _time_axis(axes)
        return _svg(figure)
