"""Two audits compared metric by metric, one entry a metric (its good indicator and warning sign
paired, the worse verdict): what got worse, what got better, what moved within noise, what is
new since the baseline, and the overall verdict's change that heads it all.

A metric is worse only when its verdict got worse, or when it moved the bad way by a change
that is both significant (Holm-adjusted p below ``alpha``) and at least ``min_effect`` in
Cohen's units. Counts are compared as rates per hour of audit window, latencies on their
samples (reruns.stats), so runs of different lengths and intervals compare. Runs judged by
different thresholds do not: they are refused, naming each difference."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ..config.values import DEFAULT_ALPHA, DEFAULT_MIN_EFFECT
from ..judging.sample import Sample, SampleKind
from ..judging.sampling import UNSAMPLED
from ..judging.verdicts import Direction, Threshold, Verdict, plural_unit
from .novelty import Novelty, new_since
from .records import PREFLIGHT, AuditRecord, CompareError
from .stats import ChangeTest, holm, mean_test, rate_test

__all__ = ["CompareError", "Comparison", "MetricChange", "Outcome", "Settings", "compare_records"]

# worse to the right: anything -> NO-DATA is worse (the data vanished), NO-DATA -> a verdict not
VERDICT_RANK = {Verdict.PASS: 0, Verdict.WARN: 1, Verdict.FAIL: 2, Verdict.NO_DATA: 3}
OVERALL_RANK = {"GREEN": 0, "YELLOW": 1, "RED": 2}
NOT_RUN = "NOT RUN"  # an audit that could not judge the bot
COMPLETE = "completed"


class Outcome(enum.Enum):
    WORSE = "worse"
    BETTER = "better"
    NOISE = "noise"  # moved, but not significantly or not by a relevant size
    UNTESTED = "changed"  # moved; no noise model, judged by its verdict alone (which held)
    SAME = "same"
    NEW = "new"  # only in the new run
    GONE = "gone"  # only in the baseline


@dataclass(frozen=True, slots=True)
class Settings:
    alpha: float = DEFAULT_ALPHA
    min_effect: float = DEFAULT_MIN_EFFECT


@dataclass(frozen=True, slots=True)
class Side:
    """One run's view of one metric: its checks paired, judged by the worse verdict."""

    verdict: Verdict
    value: float | None
    unit: str
    good: Threshold | None
    warning: Threshold | None
    direction: Direction | None
    sample: Sample | None
    names: tuple[str, ...]
    preflight: bool = False  # a pre-flight check, judged by its verdict alone

    @property
    def thresholds(self) -> str:
        parts = [
            f"good {self.good}" if self.good else "",
            f"warning {self.warning}" if self.warning else "",
        ]
        return ", ".join(p for p in parts if p) or "no thresholds"

    @property
    def shown(self) -> str:
        """The value with its unit, and a count's rate per hour."""
        if self.value is None:
            return self.verdict.value
        text = f"{self.value:g} {plural_unit(self.unit, self.value)}".rstrip()
        rate = self.sample.rate if self.sample is not None else None
        if rate is None:
            return text
        return f"{text} ({rate:.0f}/h)" if rate >= 100 else f"{text} ({rate:.3g}/h)"


def sides(record: AuditRecord) -> dict[str, tuple[str, Side]]:
    """Each metric's (title, side), in the record's order; a pre-flight check stands alone."""
    grouped: dict[str, list[str]] = {}
    for name, check in record.checks.items():
        key = name if check.kind == PREFLIGHT or not check.metric else check.metric
        grouped.setdefault(key, []).append(name)
    found: dict[str, tuple[str, Side]] = {}
    for key, names in grouped.items():
        checks = [record.checks[n] for n in names]
        worst = max(checks, key=lambda c: VERDICT_RANK[c.verdict])
        first = next((c for c in checks if c.value is not None), checks[0])
        side = Side(
            worst.verdict,
            first.value,
            first.unit,
            first.good,
            first.warning,
            next((c.direction for c in checks if c.direction is not None), None),
            next((c.sample for c in checks if c.sample is not None), None),
            tuple(names),
            first.kind == PREFLIGHT,
        )
        found[key] = (first.name if first.kind == PREFLIGHT else first.title or key, side)
    return found


@dataclass(frozen=True, slots=True)
class MetricChange:
    """One metric's move between the runs, and why it is classed so."""

    key: str  # the metric id (a pre-flight check: its name)
    title: str
    old: Side | None
    new: Side | None
    outcome: Outcome
    reason: str
    test: ChangeTest | None = None
    adjusted_p: float | None = None  # Holm, over the metrics tested in this comparison

    @property
    def names(self) -> tuple[str, ...]:
        """The test cases that judge this metric, in either run."""
        return tuple(dict.fromkeys(n for s in (self.old, self.new) if s for n in s.names))


def change_test(old: Side, new: Side) -> ChangeTest | None:
    a, b = old.sample, new.sample
    if a is None or b is None or a.kind is not b.kind or new.direction is None:
        return None
    if a.kind is SampleKind.COUNT:
        return rate_test(a.n, a.hours or 0.0, b.n, b.hours or 0.0)
    return mean_test(a, b)


def _p(value: float) -> str:
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def _evidence(test: ChangeTest | None, adjusted: float | None) -> str:
    if test is None or adjusted is None:
        return ""
    holm_note = f", Holm {_p(adjusted)[2:]}" if adjusted != test.p_value else ""
    return f"{test.test} {_p(test.p_value)}{holm_note}, {test.effect_name} = {test.effect:+.2f}"


def classify(
    key: str, old: Side, new: Side, test: ChangeTest | None, adjusted: float | None, s: Settings
) -> tuple[Outcome, str]:
    valued = old.value is not None or new.value is not None
    moved = f"{old.shown} → {new.shown}: " if valued else ""
    evidence = _evidence(test, adjusted)
    significant = test is not None and adjusted is not None and adjusted < s.alpha
    relevant = test is not None and abs(test.effect) >= s.min_effect
    before, after = VERDICT_RANK[old.verdict], VERDICT_RANK[new.verdict]
    if before != after:
        outcome = Outcome.WORSE if after > before else Outcome.BETTER
        reason = f"verdict {old.verdict.value} → {new.verdict.value}"
        if old.good or old.warning:
            reason += f" ({new.thresholds})"
        if evidence:
            alone = "significant" if significant and relevant else "alone within noise"
            reason += f"; the change {alone}: {evidence}"
        return outcome, moved + reason
    if test is not None and adjusted is not None:
        if test.effect == 0:
            return Outcome.SAME, moved + "the same rate" if old.value != new.value else moved[:-2]
        if significant and relevant:
            higher_is_worse = new.direction is Direction.LOWER_IS_BETTER
            outcome = Outcome.WORSE if (test.effect > 0) == higher_is_worse else Outcome.BETTER
            return outcome, moved + evidence
        why = (
            f"smaller than the minimum relevant effect {s.min_effect:g}"
            if significant
            else f"not significant at {s.alpha:g}"
        )
        return Outcome.NOISE, f"{moved}{why} ({evidence})"
    if old.value == new.value:
        return Outcome.SAME, moved[:-2] or new.verdict.value
    if old.sample is not None and new.sample is not None:
        model = "too few samples to test: under two one-minute batches, or no spread recorded"
    else:
        model = UNSAMPLED.get(key) or "no sample recorded"
    return Outcome.UNTESTED, f"{moved}no noise model ({model}); judged by its verdict, which held"


def threshold_differences(old: AuditRecord, new: AuditRecord) -> list[str]:
    """Each metric whose thresholds differ between the runs, by name; the thresholds hash where
    the difference is not visible in the checks (a metric's severity)."""
    a, b = sides(old), sides(new)
    found = [
        f"{key} ({b[key][1].thresholds} vs {a[key][1].thresholds} in the baseline)"
        for key in b
        if key in a and (a[key][1].good, a[key][1].warning) != (b[key][1].good, b[key][1].warning)
    ]
    x, y = old.properties.get("thresholds_hash"), new.properties.get("thresholds_hash")
    if not found and x and y and x != y:
        found.append(f"thresholds hash {y} vs {x} in the baseline (a metric's severity?)")
    return found


def comparability(old: AuditRecord, new: AuditRecord) -> list[str]:
    """What may make the runs count differently without refusing them (``--strict`` does)."""
    a, b = old.properties, new.properties
    found = []
    if a.get("profile_hash") and b.get("profile_hash") and a["profile_hash"] != b["profile_hash"]:
        found.append(
            f"profiles differ ({a['profile_hash']} vs {b['profile_hash']}): event types or log "
            "patterns may count differently"
        )
    gaps = _number(a.get("gap_ticks")), _number(b.get("gap_ticks"))
    if None not in gaps and (gaps[0] == 0) != (gaps[1] == 0):
        found.append(f"one run has gaps the other lacks ({gaps[0]:g} vs {gaps[1]:g} gap ticks)")
    return found


def compare_records(
    old: AuditRecord, new: AuditRecord, settings: Settings | None = None
) -> Comparison:
    s = settings or Settings()
    differences = threshold_differences(old, new)
    if differences:
        raise CompareError("not comparable: the thresholds differ: " + "; ".join(differences))
    a, b = sides(old), sides(new)
    both = [k for k in b if k in a]
    tests = {k: t for k in both if (t := change_test(a[k][1], b[k][1])) is not None}
    adjusted = dict(zip(tests, holm([t.p_value for t in tests.values()]), strict=True))
    entries = [
        MetricChange(key, b[key][0], None, b[key][1], Outcome.NEW, b[key][1].shown)
        if key not in a
        else MetricChange(
            key,
            b[key][0],
            a[key][1],
            b[key][1],
            *classify(key, a[key][1], b[key][1], tests.get(key), adjusted.get(key), s),
            tests.get(key),
            adjusted.get(key),
        )
        for key in b
    ]
    entries += [
        MetricChange(key, title, side, None, Outcome.GONE, side.shown)
        for key, (title, side) in a.items()
        if key not in b
    ]
    return Comparison(
        old, new, tuple(entries), new_since(old, new), s, tuple(comparability(old, new))
    )


def overall_of(record: AuditRecord) -> str:
    """GREEN / YELLOW / RED (or NOT RUN) as recorded; else from the checks' verdicts."""
    shown = record.properties.get("overall", "").strip().upper().replace("_", " ")
    if shown:
        return shown
    verdicts = {c.verdict for c in record.checks.values()}
    if Verdict.FAIL in verdicts:
        return "RED"
    return "YELLOW" if verdicts & {Verdict.WARN, Verdict.NO_DATA} else "GREEN"


@dataclass(frozen=True, slots=True)
class Comparison:
    old: AuditRecord
    new: AuditRecord
    entries: tuple[MetricChange, ...]
    novelty: Novelty = field(default_factory=Novelty)
    settings: Settings = field(default_factory=Settings)
    warnings: tuple[str, ...] = ()  # comparability notes (--strict refuses on them)

    def of(self, *outcomes: Outcome) -> tuple[MetricChange, ...]:
        return tuple(e for e in self.entries if e.outcome in outcomes)

    @property
    def worse(self) -> tuple[MetricChange, ...]:
        return self.of(Outcome.WORSE)

    @property
    def better(self) -> tuple[MetricChange, ...]:
        return self.of(Outcome.BETTER)

    def entry(self, key: str) -> MetricChange | None:
        return next((e for e in self.entries if e.key == key), None)

    @property
    def overall(self) -> tuple[str, str]:
        return overall_of(self.old), overall_of(self.new)

    @property
    def result(self) -> str:
        """worse, better or same: worse when anything is (the exit code's rule)."""
        before, after = self.overall
        if after == NOT_RUN or self.worse or self.novelty.error_shapes:
            return "worse"
        if OVERALL_RANK.get(after, 0) > OVERALL_RANK.get(before, 0) and before != NOT_RUN:
            return "worse"
        if self.better or OVERALL_RANK.get(after, 0) < OVERALL_RANK.get(before, 0):
            return "better"
        return "same"

    @property
    def exit_code(self) -> int:
        return 1 if self.result == "worse" else 0

    def worse_items(self) -> list[str]:
        items = [e.title for e in self.worse]
        shapes = len(self.novelty.error_shapes)
        if shapes:
            items.append(f"{shapes} new error shape{'s' * (shapes != 1)}")
        return items

    @property
    def headline(self) -> str:
        """``RED → GREEN: better``: the overall change, then what it hides."""
        before, after = self.overall
        worse, better = _listed(self.worse_items()), _listed([e.title for e in self.better])
        if after == NOT_RUN:
            words = "worse: this audit did not judge the bot"
        elif before == NOT_RUN:
            words = "the baseline did not judge the bot" + (f"; worse: {worse}" if worse else "")
        elif OVERALL_RANK.get(after, 0) < OVERALL_RANK.get(before, 0):
            words = f"better overall, but worse: {worse}" if worse else "better"
        elif OVERALL_RANK.get(after, 0) > OVERALL_RANK.get(before, 0):
            words = "worse"
        elif worse:
            words = f"worse: {worse}" + (f"; better: {better}" if better else "")
        elif better:
            words = f"better: {better}"
        else:
            noise = self.of(Outcome.NOISE, Outcome.UNTESTED)
            words = "the same" + (" (what moved is within noise)" if noise else "")
        return f"{before} → {after}: {words}"

    def gate_reasons(self) -> list[str]:
        """What makes this run worse, one line each (the regression gate's reasons)."""
        reasons = [f"worse: {e.title}: {e.reason}" for e in self.worse]
        reasons += [
            f"new {s.level} shape: {s.shape} ({s.count}x, first {s.first_seen} at {s.where})"
            for s in self.novelty.error_shapes
        ]
        before, after = self.overall
        if after == NOT_RUN:
            reasons.append("this audit did not judge the bot (NOT RUN)")
        elif not reasons and self.result == "worse":
            reasons.append(f"the overall verdict got worse: {before} → {after}")
        return reasons


def _listed(items: list[str], limit: int = 3) -> str:
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f" and {len(items) - limit} more"


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
