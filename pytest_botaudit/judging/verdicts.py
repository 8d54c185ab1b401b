"""Verdicts: thresholds, a metric's spec, a measurement, and the judged result of a check."""

from __future__ import annotations

import enum
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import ConfigError
from .sample import Sample


class Verdict(enum.Enum):
    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"
    NO_DATA = "NO-DATA"


class Kind(enum.Enum):
    GOOD_INDICATOR = "good_indicator"
    WARNING_SIGN = "warning_sign"


class Direction(enum.Enum):
    LOWER_IS_BETTER = "lower_is_better"
    HIGHER_IS_BETTER = "higher_is_better"


def direction_of(kind: Kind, threshold: Threshold) -> Direction:
    """A good indicator ``< x`` and a warning sign ``> x`` both want the value low."""
    below = threshold.op in ("<", "<=")
    lower = below if kind is Kind.GOOD_INDICATOR else not below
    return Direction.LOWER_IS_BETTER if lower else Direction.HIGHER_IS_BETTER


def safe_margin(kind: Kind, threshold: Threshold, value: float) -> float:
    """How far the value is on the safe side of the check's limit, for both kinds: positive
    is safe (a good indicator met, no warning sign), negative is the wrong side."""
    margin = threshold.margin(value)
    return (margin if kind is Kind.GOOD_INDICATOR else -margin) + 0.0  # never "-0"


def plural_unit(unit: str, value: float | None) -> str:
    """``1 position``, ``2 positions``; units that are symbols (ms, %) never change."""
    if value != 1:
        return unit
    first, slash, rest = unit.partition("/")
    if first.endswith("s") and first not in ("ms", "s"):
        first = first[:-1]
    return first + slash + rest


_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(frozen=True, slots=True)
class Threshold:
    """``value <op> limit``: for a good indicator the condition that passes, for a warning
    sign the condition under which the sign is present."""

    op: str
    limit: float

    def holds(self, value: float) -> bool:
        return _OPS[self.op](value, self.limit)

    def margin(self, value: float) -> float:
        """How far the value is on the side where the condition holds (negative: not)."""
        return self.limit - value if self.op in ("<", "<=") else value - self.limit

    def __str__(self) -> str:
        return f"{self.op} {self.limit:g}"


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """A metric with its seed thresholds; ``critical`` makes a missed good indicator FAIL."""

    metric_id: str
    title: str
    unit: str
    good: Threshold | None
    warning: Threshold | None
    critical: bool = False

    def threshold(self, kind: Kind) -> Threshold | None:
        return self.good if kind is Kind.GOOD_INDICATOR else self.warning


@dataclass(frozen=True, slots=True)
class Measurement:
    """A measured value and why to believe it; ``value`` None means NO-DATA (with a reason)."""

    value: float | None
    evidence: tuple[str, ...] = ()
    detail: str = ""
    no_data_reason: str | None = None
    sample: Sample | None = None  # what the value was drawn from, for comparing reruns

    @classmethod
    def no_data(cls, reason: str, evidence: tuple[str, ...] = ()) -> Measurement:
        return cls(None, evidence, "", reason)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one check with the numbers and evidence that justify it."""

    metric: str
    kind: Kind
    verdict: Verdict
    value: float | None
    unit: str
    good_threshold: Threshold | None
    warning_threshold: Threshold | None
    margin: float | None  # positive: on the safe side (both kinds)
    message: str
    evidence: tuple[str, ...]
    title: str = ""
    direction: Direction | None = None
    sample: Sample | None = None

    @property
    def threshold(self) -> Threshold | None:
        """The limit this check judges by (its kind's)."""
        return self.good_threshold if self.kind is Kind.GOOD_INDICATOR else self.warning_threshold

    @property
    def shown_value(self) -> str:
        """``3 positions``, ``1 position``, ``120 ms``; empty without a value."""
        if self.value is None:
            return ""
        return f"{self.value:g} {plural_unit(self.unit, self.value)}"

    @property
    def near_miss(self) -> bool:
        """On the safe side, but within 10 % of the limit (a limit of 0 has no such band)."""
        limit = self.threshold
        if self.verdict is not Verdict.PASS or self.margin is None or limit is None:
            return False
        best = self.direction is Direction.HIGHER_IS_BETTER and self.unit == "%"
        if best and self.value is not None and self.value >= 100:
            return False  # all of it is the best there is, not a near miss
        return limit.limit != 0 and 0 <= self.margin <= 0.1 * abs(limit.limit)

    def properties(self) -> list[tuple[str, str]]:
        """The JUnit / HTML properties of the check."""
        return [
            ("metric", self.metric),
            ("title", self.title),
            ("direction", self.direction.value if self.direction else ""),
            ("verdict", self.verdict.value),
            ("value", "" if self.value is None else f"{self.value:g}"),
            ("unit", self.unit),
            ("good_threshold", "" if self.good_threshold is None else str(self.good_threshold)),
            (
                "warning_threshold",
                "" if self.warning_threshold is None else str(self.warning_threshold),
            ),
            ("margin", "" if self.margin is None else f"{self.margin:g}"),
            ("kind", self.kind.value),
            # the verdict in words: a WARN or a PASS has no <failure> element to carry it
            ("message", self.message.split("\n", 1)[0]),
            *(self.sample.properties() if self.sample is not None else ()),
        ]


def judge(spec: MetricSpec, kind: Kind, measurement: Measurement) -> CheckResult:
    """PASS / WARN / FAIL / NO-DATA of one check (the seed's rules, monotonic in the value)."""
    threshold = spec.threshold(kind)
    if threshold is None:
        raise ConfigError(f"check {spec.metric_id}: no {kind.value} threshold is defined")
    value = measurement.value
    shown = "" if value is None else f"{value:g} {plural_unit(spec.unit, value)}"
    limits = f"good {spec.good or 'n/a'}, warning {spec.warning or 'n/a'}"
    if value is None or math.isnan(value):
        verdict = Verdict.NO_DATA
        margin = None
        message = f"NO-DATA: {spec.title}: {measurement.no_data_reason or 'no measurement'}"
    else:
        margin = safe_margin(kind, threshold, value)
        if kind is Kind.GOOD_INDICATOR:
            ok = threshold.holds(value)
            verdict = Verdict.PASS if ok else (Verdict.FAIL if spec.critical else Verdict.WARN)
            relation = "meets" if ok else "misses"
            message = (
                f"{verdict.value}: {spec.title} = {shown} {relation} the good indicator "
                f"{threshold} ({limits})"
            )
        else:
            present = threshold.holds(value)
            verdict = Verdict.FAIL if present else Verdict.PASS
            relation = "warning sign present" if present else "no warning sign"
            message = f"{verdict.value}: {spec.title} = {shown}: {relation} ({threshold}; {limits})"
        if measurement.detail:
            message += f" [{measurement.detail}]"
    return CheckResult(
        spec.metric_id,
        kind,
        verdict,
        value,
        spec.unit,
        spec.good,
        spec.warning,
        margin,
        message,
        measurement.evidence,
        spec.title,
        direction_of(kind, threshold),
        measurement.sample if value is not None else None,
    )
