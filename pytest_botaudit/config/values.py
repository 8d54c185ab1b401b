"""Scalar parsers of the audit's settings: durations, booleans, times, paths, whole numbers."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeGuard

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
MAX_DURATION = 366 * 86400.0


def parse_duration(text: str) -> float:
    """Parse ``8h``, ``90m``, ``30s``, ``0.2s``, ``1h30m`` or a bare number of seconds.

    Returns seconds (> 0). Raises ValueError with a short reason otherwise.
    """
    value = text.strip().lower()
    if not value:
        raise ValueError("empty duration")
    try:
        seconds = float(value)
    except ValueError:
        pos = 0
        seconds = 0.0
        for match in _DURATION_PART.finditer(value):
            if match.start() != pos:
                break
            seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
            pos = match.end()
        if pos != len(value) or pos == 0:
            raise ValueError("expected a duration such as 8h, 90m, 30s or 0.2s") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError("a duration must be greater than zero")
    if seconds > MAX_DURATION:
        raise ValueError("a duration must be at most 366d")
    return seconds


def format_duration(seconds: float) -> str:
    """Render seconds the way a user would type them: 8h, 1h30m, 90s, 0.2s."""
    if seconds < 60 and not float(seconds).is_integer():
        return f"{seconds:g}s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
        f"{secs}s" if secs else "",
    ]
    return "".join(parts) or "0s"


def is_number(value: object) -> TypeGuard[int | float]:
    """A finite int or float from a TOML file (``nan``, ``inf`` and booleans are not)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected true or false")


RUN_SELECTOR = re.compile(r"^(latest|all|\d{8}T\d{6}Z(-\d+)?)$")


def parse_run(text: str) -> str:
    """A run id (``20261125T152309Z``, ``-2`` on a clash), ``latest`` or ``all``."""
    value = text.strip()
    if not RUN_SELECTOR.match(value):
        raise ValueError("expected a run id such as 20261125T152309Z, latest or all")
    return value


def parse_time(text: str, now: datetime | None = None) -> datetime:
    """An ISO time (naive means UTC) or a time relative to now such as ``-8h`` or ``-90m``."""
    value = text.strip()
    reference = now or datetime.now(UTC)
    if value.lower() == "now":
        return reference
    if value.startswith("-"):
        return reference - timedelta(seconds=parse_duration(value[1:]))  # at most 366 days
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            "expected an ISO time (2025-10-18T07:00) or a relative one (-8h)"
        ) from None
    if not 1900 <= parsed.year <= 2999:
        raise ValueError("expected a time between the years 1900 and 2999")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError("expected a whole number") from None
    if value < 1:
        raise ValueError("must be at least 1")
    return value


def optional_path(text: str) -> Path | None:
    """A path, or ``none``: the thing does not exist by design."""
    return None if text.strip().lower() == "none" else path(text)


def path(text: str) -> Path:
    if not text.strip():
        raise ValueError("empty path")
    return Path(text).expanduser()


# How a rerun is told from its baseline (compare and --audit-baseline): a change is worse only
# when it is significant at ALPHA, family-wise over the metrics compared (Holm), and at least
# MIN_EFFECT in Cohen's standardized units (d for latencies, h for rates), "small" by Cohen's
# convention (Statistical Power Analysis for the Behavioral Sciences, 1988). A CI gate runs on
# every deployment, so a false alarm costs: at 1 % a healthy rerun is called worse by chance
# about once in 200 comparisons.
DEFAULT_ALPHA = 0.01
DEFAULT_MIN_EFFECT = 0.2


def parse_alpha(text: str) -> float:
    """A significance level: a number between 0 and 1 (exclusive), e.g. ``0.01``."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError("expected a significance level such as 0.01") from None
    if not 0 < value < 1:
        raise ValueError("a significance level is between 0 and 1 (exclusive), e.g. 0.01")
    return value


def parse_effect(text: str) -> float:
    """A minimum relevant effect in standardized units: a finite number >= 0, e.g. ``0.2``."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError("expected an effect size such as 0.2") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError("an effect size is a finite number >= 0, e.g. 0.2")
    return value


# A latency's samples are not independent (a fill and its stop-loss are timed together, an
# exchange is slow for a minute): compare tests the means of one-minute batches of them (the
# method of batch means), which the database and the log analysis both record.
LATENCY_BATCH_SECONDS = 60.0
