"""Charts as inline SVG (matplotlib, no network): each per-tick metric over the audit with its
limits as labelled lines (shaded only beyond them), breaching ticks and gaps; and the incident
timeline, one lane per incident that overlaps another, each bar wide enough to see.

Every chart reads the same way: time of day as HH:MM on a UTC axis, steps a locator picks for
a 2-minute and an 8-hour run alike, whole numbers on the axis of a count, human names in the
legend. Text is drawn as text (``svg.fonttype none``) with mathtext off, so a ``$`` in a name
stays a ``$``."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import matplotlib
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..record.model import Incident, Severity
from .series import Series, is_count

COLOURS = {"total": "#0b5cad", "good": "#1a7f37", "warning": "#cf222e", "miss": "#9a6700"}
EXCHANGE_COLOURS = ("#8250df", "#bf8700", "#1b7c83", "#d1242f", "#57606a")
SEVERITY_COLOURS = {
    Severity.CRITICAL: "#cf222e",
    Severity.WARNING: "#bf8700",
    Severity.INFO: "#0b5cad",
}
RC = {
    "svg.fonttype": "none",
    "font.size": 9,
    "svg.hashsalt": "botaudit",
    "text.parse_math": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
WIDTH = 13.0  # inches at 100 dpi: the page's width; the SVG scales to its container
# steps of the time axis, in minutes: the smallest that keeps at most MAX_TICKS ticks
STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 720, 1440)
MAX_TICKS = 8
MIN_BAR = 0.008  # the narrowest timeline bar, as a share of the run (a few pixels)
MAX_MARKERS = 120  # breaching ticks drawn as dots; beyond, as one thick line over them
LABELLED_INCIDENTS = 40  # beyond, the timeline has a lane per rule, not a label per incident


# the geometry attributes of matplotlib's SVG, whose numbers it writes with six decimals
_GEOMETRY = re.compile(r'\b(d|points|transform|x|y|x1|x2|y1|y2|width|height)="([^"]*)"')
_DECIMALS = re.compile(r"(\d+\.\d)\d+")


def _rounded(match: re.Match[str]) -> str:
    value = _DECIMALS.sub(r"\1", match[2])
    return f'{match[1]}="{value}"'


def _svg(figure: Figure, tight: bool = True) -> str:
    """The figure as inline SVG; ``tight=False`` keeps the figure's own margins (one drawing
    instead of two: "tight" draws the figure once to measure it)."""
    buffer = io.StringIO()
    figure.savefig(
        buffer, format="svg", bbox_inches="tight" if tight else None, metadata={"Date": None}
    )
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # inline: no XML declaration or DOCTYPE
    # a tenth of a pixel is finer than any screen: the same picture in far fewer bytes
    return _GEOMETRY.sub(_rounded, text)


def time_step(start: datetime, end: datetime) -> int:
    """The axis step in minutes for a run from ``start`` to ``end``."""
    minutes = max((end - start).total_seconds() / 60, 1.0)
    return next((s for s in STEPS if minutes / s <= MAX_TICKS), STEPS[-1])


def _time_axis(axes: Axes, start: datetime, end: datetime) -> None:
    """HH:MM ticks on whole steps of the clock, the axis labelled with UTC and the day(s)."""
    step = time_step(start, end)
    locator: mdates.DateLocator
    if step < 60:  # every step below an hour divides it
        locator = mdates.MinuteLocator(byminute=range(0, 60, step), tz=UTC)
    else:  # and every step of hours divides a day
        locator = mdates.HourLocator(byhour=range(0, 24, step // 60), tz=UTC)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=UTC))
    days = f"{start:%Y-%m-%d}" + (f" to {end:%Y-%m-%d}" if end.date() != start.date() else "")
    axes.set_xlabel(f"time (UTC), {days}")
    # a run shorter than two steps (a 30 s demo) would show one HH:MM twice, at its edges:
    # the axis then spans the whole steps around the run, and the run sits inside them
    seconds = step * 60
    low = datetime.fromtimestamp(start.timestamp() // seconds * seconds, UTC)
    high = datetime.fromtimestamp(-(-end.timestamp() // seconds) * seconds, UTC)
    if high <= low:
        high = low + timedelta(seconds=seconds)
    if (high - low).total_seconds() / seconds <= 2:
        start, end = low, high
    axes.set_xlim(mdates.date2num(start), mdates.date2num(end))


def _limit_label(kind: str, op: str, limit: float, unit: str) -> str:
    return f"{kind}: {op} {limit:g} {unit}".rstrip()


def _changes(
    times: Sequence[datetime], values: Sequence[float]
) -> tuple[list[datetime], list[float]]:
    """The points a step line (``where="post"``) needs: the first, each change of value and
    the last; the same line drawn, in far fewer points (a counter is flat most of a run)."""
    kept_t: list[datetime] = []
    kept_v: list[float] = []
    last = len(values) - 1
    for i, (moment, value) in enumerate(zip(times, values, strict=True)):
        if i in (0, last) or value != values[i - 1]:
            kept_t.append(moment)
            kept_v.append(value)
    return kept_t, kept_v


def series_chart(series: Series) -> str:
    """One metric over the audit as an SVG element."""
    # the object API, not pyplot: no global figure state in the user's pytest process
    with matplotlib.rc_context(RC):
        figure = Figure(figsize=(WIDTH, 2.3))
        axes = figure.subplots()
        times = list(series.times)
        main_label = f"{series.title} ({series.unit})"
        axes.step(
            *_changes(times, series.values),
            where="post",
            color=COLOURS["total"],
            lw=1.4,
            label=f"{main_label}, all exchanges" if series.by_exchange else main_label,
        )
        for n, (exchange, values) in enumerate(sorted(series.by_exchange.items())):
            axes.step(
                *_changes(times, values),
                where="post",
                lw=0.9,
                ls="--",
                label=exchange,
                color=EXCHANGE_COLOURS[n % len(EXCHANGE_COLOURS)],
            )
        spec = series.spec
        top = max(series.peak, 1.0)
        limits = [
            (kind, threshold, colour)
            for kind, threshold, colour in (
                ("warning sign", spec.warning if spec else None, COLOURS["warning"]),
                ("good indicator", spec.good if spec else None, COLOURS["good"]),
            )
            if threshold is not None
        ]
        for _, threshold, _ in limits:
            top = max(top, threshold.limit)
        ceiling = top * 1.15
        floor = -0.04 * ceiling  # a limit at 0 stays visible above the axis
        for kind, threshold, colour in limits:
            axes.axhline(
                threshold.limit,
                color=colour,
                lw=1.1,
                ls="--",
                label=_limit_label(kind, threshold.op, threshold.limit, series.unit),
            )
            if kind == "warning sign":  # shaded only where the sign holds
                above = threshold.op in (">", ">=")
                low, high = (threshold.limit, ceiling) if above else (floor, threshold.limit)
                axes.axhspan(low, high, color=colour, alpha=0.06, lw=0)
        for start, end in series.gaps:
            axes.axvspan(start, end, color="#6e7781", alpha=0.25, lw=0)
        for indexes, colour, label in (
            (series.breaches, COLOURS["warning"], "tick beyond the warning limit"),
            (series.misses, COLOURS["miss"], "tick missing the good limit"),
        ):
            if len(indexes) > MAX_MARKERS:  # one path over them, not a marker each
                marked = set(indexes)
                axes.step(
                    times,
                    [v if i in marked else math.nan for i, v in enumerate(series.values)],
                    where="post",
                    lw=2.6,
                    color=colour,
                    label=label.replace("tick", "ticks"),
                )
            elif indexes:
                axes.plot(
                    [times[i] for i in indexes],
                    [series.values[i] for i in indexes],
                    "o",
                    ms=3,
                    color=colour,
                    label=label,
                )
        axes.set_ylim(bottom=floor, top=ceiling)
        if is_count(series):
            axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5, min_n_ticks=1))
        axes.set_ylabel(series.unit)
        axes.set_title(series.title, loc="left", fontsize=10)
        axes.grid(alpha=0.25)
        if times:
            first = min([times[0], *(g[0] for g in series.gaps)])
            last = max([times[-1], *(g[1] for g in series.gaps)])
            _time_axis(axes, first, max(last, first + timedelta(seconds=1)))
        # the legend above the plot, right of the title: never over the data
        entries = len(axes.get_legend_handles_labels()[1])
        axes.legend(
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            fontsize=8,
            frameon=False,
            ncol=min(entries, 3),
            borderaxespad=0.2,
        )
        # fixed margins, room for the y labels, the legend's rows and the time axis (its last
        # HH:MM centred on the right edge): one drawing per chart
        rows = -(-entries // 3)
        figure.subplots_adjust(left=0.055, right=0.975, bottom=0.2, top=0.9 - 0.07 * rows)
        return _svg(figure, tight=False)


def _label(incident: Incident, titles: dict[str, str]) -> str:
    title = titles.get(incident.rule_id, incident.rule_id.replace("_", " "))
    return f"{title} (peak {incident.peak:g})"


Bar = tuple[Incident, float, float, bool]  # the incident, left, right, label on the left


def incident_lanes(
    incidents: Sequence[Incident], start: datetime, end: datetime, titles: dict[str, str]
) -> list[tuple[Severity, list[Bar]]]:
    """Lanes of the timeline, severity by severity (worst first): an incident goes to the
    first lane of its severity where neither it nor its label overlaps anything, as drawn (a
    short one is drawn MIN_BAR of the run wide; its label beside it, on the left near the
    run's end)."""
    first, last = mdates.date2num(start), mdates.date2num(end)
    span = max(last - first, 1 / 86400)
    least = span * MIN_BAR
    per_char = span * 0.0052  # the width of one label character, at the chart's width
    lanes: list[tuple[Severity, list[Bar]]] = []
    for severity in Severity:
        mine: list[list[tuple[Bar, float, float]]] = []  # each bar with the extent it takes
        for incident in sorted(
            (i for i in incidents if i.severity is severity), key=lambda i: i.first_seen
        ):
            left = mdates.date2num(incident.first_seen)
            right = max(mdates.date2num(incident.last_seen), left + least)
            width = per_char * (len(_label(incident, titles)) + 2)
            on_left = right + width > last and left - width >= first
            taken = (left - width, right) if on_left else (left, right + width)
            lane = next((bars for bars in mine if bars[-1][2] + least / 4 <= taken[0]), None)
            if lane is None:
                lane = []
                mine.append(lane)
            lane.append(((incident, left, right, on_left), *taken))
        lanes += [(severity, [bar for bar, _, _ in bars]) for bars in mine]
    return lanes


def dense_lanes(
    incidents: Sequence[Incident], start: datetime, end: datetime, titles: dict[str, str]
) -> list[tuple[str, Severity, list[tuple[float, float]]]]:
    """A lane per rule (worst severity first), its incidents as bars; bars closer than the
    narrowest bar merged into one, so a timeline of thousands of incidents stays readable
    and small. Each lane is named by its rule, its severity and its count."""
    first, last = mdates.date2num(start), mdates.date2num(end)
    least = max(last - first, 1 / 86400) * MIN_BAR
    lanes = []
    for severity in Severity:
        rules = sorted({i.rule_id for i in incidents if i.severity is severity})
        for rule in rules:
            mine = sorted(
                (i for i in incidents if i.severity is severity and i.rule_id == rule),
                key=lambda i: i.first_seen,
            )
            bars: list[tuple[float, float]] = []
            for incident in mine:
                left = mdates.date2num(incident.first_seen)
                right = max(mdates.date2num(incident.last_seen), left + least)
                if bars and left <= bars[-1][1] + least / 4:
                    bars[-1] = (bars[-1][0], max(bars[-1][1], right))
                else:
                    bars.append((left, right))
            peak = max(i.peak for i in mine)
            title = titles.get(rule, rule.replace("_", " "))
            name = f"{severity.value}: {title} ({len(mine)} incidents, peak {peak:g})"
            lanes.append((name, severity, bars))
    return lanes


def _lanes_figure(lanes: int) -> tuple[Figure, Axes]:
    """A timeline's figure, as tall as its lanes."""
    figure = Figure(figsize=(WIDTH, 0.9 + 0.45 * max(lanes, 1)))
    return figure, figure.subplots()


def _lanes_svg(
    figure: Figure, axes: Axes, names: Sequence[str], start: datetime, end: datetime
) -> str:
    """A timeline finished: its lanes named top to bottom, the clock below."""
    axes.set_yticks(range(len(names)), list(reversed(names)))
    axes.set_ylim(-0.6, max(len(names), 1) - 0.4)
    axes.grid(axis="x", alpha=0.25)
    _time_axis(axes, start, end)
    return _svg(figure)


def _dense_timeline(
    incidents: Sequence[Incident], start: datetime, end: datetime, titles: dict[str, str]
) -> str:
    lanes = dense_lanes(incidents, start, end, titles)
    with matplotlib.rc_context(RC):
        figure, axes = _lanes_figure(len(lanes))
        for lane, (_, severity, bars) in enumerate(lanes):
            row = len(lanes) - 1 - lane  # the worst severity at the top
            axes.broken_barh(
                [(left, right - left) for left, right in bars],
                (row - 0.32, 0.64),
                color=SEVERITY_COLOURS[severity],
                alpha=0.85,
                gid=f"botaudit-lane-{lane}",
            )
        return _lanes_svg(figure, axes, [name for name, _, _ in lanes], start, end)


def incident_timeline(
    incidents: Sequence[Incident], start: datetime, end: datetime, titles: dict[str, str]
) -> str:
    """A lane per run of incidents of one severity that do not overlap; each incident a bar
    from first to last seen, labelled with what its rule watches and its peak. Beyond
    LABELLED_INCIDENTS, a lane per rule instead (``dense_lanes``)."""
    if len(incidents) > LABELLED_INCIDENTS:
        return _dense_timeline(incidents, start, end, titles)
    lanes = incident_lanes(incidents, start, end, titles)
    with matplotlib.rc_context(RC):
        figure, axes = _lanes_figure(len(lanes))
        n = 0
        for lane, (severity, bars) in enumerate(lanes):
            row = len(lanes) - 1 - lane  # the worst severity at the top
            for incident, left, right, on_left in bars:
                axes.broken_barh(
                    [(left, right - left)],
                    (row - 0.32, 0.64),
                    color=SEVERITY_COLOURS[severity],
                    alpha=0.85,
                    gid=f"botaudit-incident-{n}-lane-{lane}",
                )
                n += 1
                axes.annotate(
                    _label(incident, titles),
                    (left if on_left else right, row),
                    xytext=(-4 if on_left else 4, 0),
                    textcoords="offset points",
                    fontsize=8,
                    va="center",
                    ha="right" if on_left else "left",
                )
        return _lanes_svg(figure, axes, [severity.value for severity, _ in lanes], start, end)
