"""Two audits compared check by check: regressions, improvements, new and gone checks, the
change of every metric, and whether the runs are comparable at all."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ..judging.verdicts import Direction, Verdict
from .records import PREFLIGHT, AuditRecord, CheckRecord, CompareError

__all__ = ["CompareError", "Comparison", "compare_records", "parse_tolerances"]

DEFAULT_TOLERANCE = 0.10
# worse to the right: anything -> NO-DATA is a regression, NO-DATA -> a verdict is not
VERDICT_RANK = {Verdict.PASS: 0, Verdict.WARN: 1, Verdict.FAIL: 2, Verdict.NO_DATA: 3}
COMPLETE = "completed"
_TOLERANCE = re.compile(r"^(?:([A-Za-z_][A-Za-z0-9_]*)=)?(\d+(?:\.\d+)?)%$")


def parse_tolerances(items: Iterable[str]) -> dict[str, float]:
    """``METRIC=10%`` (or ``10%`` for every metric) as relative tolerances; key ``*`` is the
    default."""
    tolerances: dict[str, float] = {}
    for item in items:
        match = _TOLERANCE.match(item.strip())
        if match is None:
            raise CompareError(
                f"--tolerance {item!r}: expected METRIC=PERCENT% such as api_errors=10% "
                "(or PERCENT% for every metric)"
            )
        tolerances[match[1] or "*"] = float(match[2]) / 100
    return tolerances


@dataclass(frozen=True, slots=True)
class Change:
    """One check present in both runs."""

    name: str
    old: CheckRecord
    new: CheckRecord
    reason: str

    @property
    def label(self) -> str:
        return self.new.label


@dataclass(frozen=True, slots=True)
class Delta:
    """One metric's move between the runs."""

    metric: str
    title: str
    unit: str
    old: float | None
    new: float | None
    direction: Direction | None

    @property
    def change(self) -> float | None:
        return None if self.old is None or self.new is None else self.new - self.old

    @property
    def relative(self) -> float | None:
        change = self.change
        if change is None or self.old in (None, 0):
            return None
        assert self.old is not None
        return change / abs(self.old)


@dataclass(frozen=True, slots=True)
class Comparison:
    old: AuditRecord
    new: AuditRecord
    regressions: tuple[Change, ...]
    improvements: tuple[Change, ...]
    unchanged: tuple[Change, ...]
    added: tuple[str, ...]
    gone: tuple[str, ...]
    deltas: tuple[Delta, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)


def moved(old: float, new: float, direction: Direction, tolerance: float) -> int:
    """+1 when the value moved the good way beyond the tolerance, -1 the bad way, else 0.
    From an old value of 0 any move counts."""
    change = new - old
    if direction is Direction.LOWER_IS_BETTER:
        change = -change
    beyond = abs(change) > tolerance * abs(old) if old != 0 else change != 0
    if not beyond:
        return 0
    return 1 if change > 0 else -1


def classify(old: CheckRecord, new: CheckRecord, tolerance: float) -> tuple[int, str]:
    """(-1 regression, +1 improvement, 0 unchanged) with the reason in words."""
    before, after = VERDICT_RANK[old.verdict], VERDICT_RANK[new.verdict]
    if before != after:
        sign = 1 if after < before else -1
        return sign, f"verdict {old.verdict.value} -> {new.verdict.value}"
    direction = new.direction or old.direction
    if old.value is None or new.value is None or direction is None:
        return 0, "same verdict"
    sign = moved(old.value, new.value, direction, tolerance)
    if sign == 0:
        return 0, "within tolerance"
    way = "better" if sign > 0 else "worse"
    return sign, (
        f"{old.value:g} -> {new.value:g} {new.unit}: {way} beyond the {tolerance:.0%} tolerance"
    )


def compare_records(
    old: AuditRecord, new: AuditRecord, tolerances: Mapping[str, float] | None = None
) -> Comparison:
    tolerances = tolerances or {}
    default = tolerances.get("*", DEFAULT_TOLERANCE)
    regressions: list[Change] = []
    improvements: list[Change] = []
    unchanged: list[Change] = []
    for name in [n for n in new.checks if n in old.checks]:
        before, after = old.checks[name], new.checks[name]
        sign, reason = classify(before, after, tolerances.get(after.metric, default))
        change = Change(name, before, after, reason)
        (improvements if sign > 0 else regressions if sign < 0 else unchanged).append(change)
    return Comparison(
        old,
        new,
        tuple(regressions),
        tuple(improvements),
        tuple(unchanged),
        tuple(n for n in new.checks if n not in old.checks),
        tuple(n for n in old.checks if n not in new.checks),
        tuple(deltas([old, new])),
        tuple(comparability(old, new)),
    )


def deltas(records: Sequence[AuditRecord]) -> list[Delta]:
    """Every metric's first and last value across the records (one row a metric)."""
    first, last = records[0], records[-1]
    rows: dict[str, Delta] = {}
    for record in (last, first):
        for check in record.checks.values():
            if check.metric and check.kind != PREFLIGHT and check.metric not in rows:
                rows[check.metric] = Delta(
                    check.metric,
                    check.label,
                    check.unit,
                    value_of(first, check.metric),
                    value_of(last, check.metric),
                    check.direction,
                )
    return list(rows.values())


def value_of(record: AuditRecord, metric: str) -> float | None:
    return next(
        (c.value for c in record.checks.values() if c.metric == metric and c.value is not None),
        None,
    )


def comparability(old: AuditRecord, new: AuditRecord) -> list[str]:
    """Why the two runs may not be comparable, each difference named."""
    a, b = old.properties, new.properties
    found = []
    for key, what in (("profile_hash", "profile"), ("thresholds_hash", "thresholds")):
        if a.get(key) and b.get(key) and a[key] != b[key]:
            found.append(f"{what} differ ({a[key]} vs {b[key]})")
    for key, what in (("interval_seconds", "interval"), ("duration_seconds", "window length")):
        x, y = _number(a.get(key)), _number(b.get(key))
        if x is not None and y is not None and abs(x - y) > 0.1 * max(abs(x), abs(y)):
            found.append(f"{what} differs by more than 10% ({x:g}s vs {y:g}s)")
    gaps = _number(a.get("gap_ticks")), _number(b.get("gap_ticks"))
    if None not in gaps and (gaps[0] == 0) != (gaps[1] == 0):
        found.append(f"one run has gaps the other lacks ({gaps[0]:g} vs {gaps[1]:g} gap ticks)")
    return found


def incomplete(record: AuditRecord) -> str | None:
    """Why a record is not a completed audit (None when it is, or when it cannot tell)."""
    status = record.status
    if status is None or status == COMPLETE:
        return None
    return f"{record.source}: the audit is '{status}', not completed"


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None
