"""What a measured value was drawn from, so a rerun can tell noise from change: a count over
the hours of audit window it covers, or a latency distribution's compact summary (count, mean,
standard deviation, quantiles, and the means of its one-minute batches). One owner of its
JUnit property / summary JSON form (``sample_*``), written here and read here."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass


class SampleKind(enum.Enum):
    COUNT = "count"  # events over an exposure: compared as a Poisson rate per hour
    LATENCY = "latency"  # durations: compared on their samples (n, mean, sd, quantiles)


@dataclass(frozen=True, slots=True)
class Sample:
    """``n`` is the number of events (a count) or of timed samples (a latency)."""

    kind: SampleKind
    n: float
    hours: float | None = None  # a count: the audit window it covers
    mean: float | None = None  # a latency: its summary, in the metric's unit
    sd: float | None = None
    p50: float | None = None
    p95: float | None = None
    max: float | None = None
    source: str = ""  # database or log
    # a latency's one-minute batch means (the samples are not independent; these are)
    batches: float | None = None
    batch_mean: float | None = None
    batch_sd: float | None = None

    @classmethod
    def count(cls, events: float, hours: float, source: str = "") -> Sample:
        return cls(SampleKind.COUNT, events, hours=hours, source=source)

    @property
    def rate(self) -> float | None:
        """Events per hour of audit window (a count only)."""
        if self.kind is not SampleKind.COUNT or not self.hours:
            return None
        return self.n / self.hours

    def properties(self) -> list[tuple[str, str]]:
        """The ``sample_*`` properties (empty values left out)."""
        fields = {
            "kind": self.kind.value,
            "n": _text(self.n),
            "hours": _text(self.hours),
            "mean": _text(self.mean),
            "sd": _text(self.sd),
            "p50": _text(self.p50),
            "p95": _text(self.p95),
            "max": _text(self.max),
            "source": self.source,
            "batches": _text(self.batches),
            "batch_mean": _text(self.batch_mean),
            "batch_sd": _text(self.batch_sd),
        }
        return [(f"sample_{key}", value) for key, value in fields.items() if value]

    @classmethod
    def from_properties(cls, props: Mapping[str, str]) -> Sample | None:
        """The sample of a check's properties; None where none was recorded. A malformed one
        raises ValueError naming the property."""
        kind = props.get("sample_kind", "")
        if not kind:
            return None
        kinds = {k.value: k for k in SampleKind}
        if kind not in kinds:
            raise ValueError(f"sample_kind {kind!r} is not one of {', '.join(kinds)}")
        n = _number(props, "sample_n")
        if n is None:
            raise ValueError("sample_n is missing")
        return cls(
            kinds[kind],
            n,
            hours=_number(props, "sample_hours"),
            mean=_number(props, "sample_mean"),
            sd=_number(props, "sample_sd"),
            p50=_number(props, "sample_p50"),
            p95=_number(props, "sample_p95"),
            max=_number(props, "sample_max"),
            source=props.get("sample_source", ""),
            batches=_number(props, "sample_batches"),
            batch_mean=_number(props, "sample_batch_mean"),
            batch_sd=_number(props, "sample_batch_sd"),
        )


def _text(value: float | None) -> str:
    # 10 significant digits: a mean and its standard deviation survive the round trip
    return "" if value is None else f"{value:.10g}"


def _number(props: Mapping[str, str], key: str) -> float | None:
    raw = props.get(key, "")
    if raw in ("", None):
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{key} {raw!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{key} {raw!r} is not a finite number >= 0")
    return value
