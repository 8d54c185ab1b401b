"""The one way a moment reads in every human output (terminal, HTML, Markdown, text files): in
UTC, to the second, labelled UTC. Machine outputs (JSON, JUnit properties) keep ISO 8601."""

from __future__ import annotations

from datetime import UTC, datetime

DAY = "%Y-%m-%d"
CLOCK = "%H:%M:%S"


def _utc(value: datetime | str) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    return value.astimezone(UTC) if value.tzinfo is not None else value


def moment(value: datetime | str | None, missing: str = "-") -> str:
    """``2026-12-01 10:31:06 UTC`` (a naive value is shown as it is, with no label)."""
    if value is None or value == "":
        return missing
    at = _utc(value)
    if at is None:
        return str(value)
    label = " UTC" if at.tzinfo is not None else ""
    return f"{at:{DAY} {CLOCK}}{label}"


def clock(value: datetime) -> str:
    """``10:31:06 UTC``, for a moment whose day the reader already has."""
    at = _utc(value) or value
    return f"{at:{CLOCK}} UTC"


def span(first: datetime | str | None, last: datetime | str | None) -> str:
    """``2026-12-01 10:31:06 UTC to 10:31:37 UTC`` (the day said once when it is the same)."""
    if first is None or last is None:
        return moment(first if last is None else last)
    a, b = _utc(first), _utc(last)
    if a is None or b is None:
        return f"{moment(first)} to {moment(last)}"
    if a == b:
        return moment(a)
    if a.date() == b.date():
        return f"{moment(a)} to {clock(b)}"
    return f"{moment(a)} to {moment(b)}"
