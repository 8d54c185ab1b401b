"""Alert rules of the seed, evaluated on each snapshot and grouped into incidents."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import overload

from ..config.values import is_number
from ..errors import ConfigError
from ..record.model import Gap, Incident, Severity, Snapshot

TRAILING_SECONDS = 60.0


def trailing(history: Sequence[Snapshot], seconds: float = TRAILING_SECONDS) -> Sequence[Snapshot]:
    """The snapshots whose windows end within the last ``seconds`` of the newest one."""
    if isinstance(history, TrailingMinute) and seconds == TRAILING_SECONDS:
        return history
    if not history:
        return []
    newest = history[-1].window_end
    return [s for s in history if (newest - s.window_end).total_seconds() < seconds]


class TrailingMinute(Sequence[Snapshot]):
    """The snapshots whose windows end within TRAILING_SECONDS of the newest one, oldest first,
    with running sums of what the per-minute rules add up: each tick costs the same whatever
    the interval (at 1 s a minute holds 60 snapshots). The sums are the ones summing the
    snapshots gives: counters count whole events, and a fraction falls back to summing."""

    def __init__(self) -> None:
        self._snapshots: deque[Snapshot] = deque()
        # metric -> [sum of the known values, how many known, how many not whole]
        self._values: dict[str, list[float]] = {}
        self._counters: dict[str, list[float]] = {}

    def __len__(self) -> int:
        return len(self._snapshots)

    @overload
    def __getitem__(self, index: int) -> Snapshot: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Snapshot]: ...

    def __getitem__(self, index: int | slice) -> Snapshot | Sequence[Snapshot]:
        if isinstance(index, slice):
            return list(self._snapshots)[index]
        return self._snapshots[index]

    def __iter__(self) -> Iterator[Snapshot]:
        return iter(self._snapshots)

    def append(self, snapshot: Snapshot) -> None:
        self._snapshots.append(snapshot)
        self._count(snapshot, 1)
        newest = snapshot.window_end
        while (newest - self._snapshots[0].window_end).total_seconds() >= TRAILING_SECONDS:
            self._count(self._snapshots.popleft(), -1)

    def _count(self, snapshot: Snapshot, sign: int) -> None:
        for metric, running in self._values.items():
            _add(running, snapshot.value(metric), sign)
        for metric, running in self._counters.items():
            _add(running, snapshot.counters.get(metric, 0.0), sign)

    def total(self, metric: str) -> float | None:
        """The known values of ``metric`` (Snapshot.value) summed; None: none known."""
        running = self._values.get(metric)
        if running is None:
            running = self._values[metric] = [0.0, 0, 0]
            for snapshot in self._snapshots:
                _add(running, snapshot.value(metric), 1)
        if running[2]:
            known = [v for v in (s.value(metric) for s in self._snapshots) if v is not None]
            return sum(known) if known else None
        return running[0] if running[1] else None

    def counted(self, counter: str) -> float:
        """The counter summed over the snapshots (0 where one lacks it)."""
        running = self._counters.get(counter)
        if running is None:
            running = self._counters[counter] = [0.0, 0, 0]
            for snapshot in self._snapshots:
                _add(running, snapshot.counters.get(counter, 0.0), 1)
        if running[2]:
            return sum(s.counters.get(counter, 0.0) for s in self._snapshots)
        return running[0]


def _add(running: list[float], value: float | None, sign: int) -> None:
    if value is None:
        return
    running[0] += sign * value
    running[1] += sign
    if not float(value).is_integer():
        running[2] += sign


@dataclass(frozen=True, slots=True)
class AlertRule:
    """Fires when the value exceeds ``threshold``. Per-minute rules sum the counter over the
    trailing minute of snapshots, so a short interval does not turn one event into a rate."""

    rule_id: str
    severity: Severity
    metric: str
    threshold: float
    message: str
    per_minute: bool = False
    condition: Callable[[Sequence[Snapshot], float], bool] | None = None
    title: str = ""  # what the rule watches, in words (reports label incidents with it)

    def value(self, history: Sequence[Snapshot]) -> float | None:
        if self.per_minute:
            if isinstance(history, TrailingMinute):
                return history.total(self.metric)
            values = [s.value(self.metric) for s in trailing(history)]
            known = [v for v in values if v is not None]
            return sum(known) if known else None
        return history[-1].value(self.metric)

    def fires(self, history: Sequence[Snapshot]) -> float | None:
        """The measured value when the rule fires on the newest snapshot, else None."""
        if self.condition is not None:
            if not self.condition(history, self.threshold):
                return None
            return history[-1].value(self.metric) or 0.0
        value = self.value(history)
        return value if value is not None and value > self.threshold else None


def _no_price_updates(history: Sequence[Snapshot], threshold: float) -> bool:
    """Open positions but no price update in the trailing minute. Judged only once the history
    covers a minute (or ten ticks), so the first tick of a run does not cry wolf."""
    recent = trailing(history)
    covered = (recent[-1].window_end - recent[0].window_start).total_seconds()
    interval = (recent[-1].window_end - recent[-1].window_start).total_seconds()
    if covered < min(TRAILING_SECONDS, 10 * interval):
        return False
    if recent[-1].gauges.get("positions_total", 0) <= 0:
        return False
    if isinstance(recent, TrailingMinute):
        return recent.counted("price_updates") <= threshold
    return sum(s.counters.get("price_updates", 0) for s in recent) <= threshold


def seed_rules(overrides: Mapping[str, float] | None = None) -> tuple[AlertRule, ...]:
    """The rules of bot_monitor.py; ``overrides`` maps rule_id to another threshold."""
    rules = (
        AlertRule(
            "unprotected_positions",
            Severity.CRITICAL,
            "unprotected_positions",
            0,
            "{value:g} position{s} without SL",
            title="positions without stop-loss",
        ),
        AlertRule(
            "emergency_closes",
            Severity.CRITICAL,
            "emergency_closes",
            0,
            "{value:g} emergency close{s}",
            title="emergency closes",
        ),
        AlertRule(
            "positions_opened_rate",
            Severity.WARNING,
            "new_positions_opened",
            15,
            "{value:g} position{s} opened in a minute",
            per_minute=True,
            title="positions opened per minute",
        ),
        AlertRule(
            "api_error_rate",
            Severity.WARNING,
            "api_errors",
            5,
            "{value:g} API error{s} in a minute",
            per_minute=True,
            title="API errors per minute",
        ),
        AlertRule(
            "no_price_updates",
            Severity.WARNING,
            "price_updates",
            0,
            "No price updates for existing positions",
            condition=_no_price_updates,
            title="no price updates",
        ),
        AlertRule(
            "ws_reconnects",
            Severity.WARNING,
            "ws_reconnects",
            0,
            "{value:g} WebSocket reconnect{s}",
            title="WebSocket reconnects",
        ),
        AlertRule(
            "aged_positions",
            Severity.INFO,
            "aged_positions",
            5,
            "{value:g} position{s} older than the maximum age",
            title="aged positions",
        ),
    )
    if not overrides:
        return rules
    return tuple(replace(r, threshold=overrides.get(r.rule_id, r.threshold)) for r in rules)


def rule_metrics() -> dict[str, tuple[str, str]]:
    """rule id -> (the metric it watches, its title): an incident belongs to its metric."""
    return {r.rule_id: (r.metric, r.title or r.rule_id.replace("_", " ")) for r in seed_rules()}


@dataclass(slots=True)
class _Growing:
    """An open incident as it grows tick by tick (an Incident made only when asked for)."""

    opened: Incident
    last_seen: datetime
    count: int
    peak: float

    def incident(self) -> Incident:
        return replace(self.opened, last_seen=self.last_seen, count=self.count, peak=self.peak)


class IncidentTracker:
    """Turns per-tick alerts into incidents; ``persist`` ticks must fire before one opens."""

    def __init__(self, rules: Iterable[AlertRule], persist: int = 1) -> None:
        self.rules = tuple(rules)
        self.persist = max(1, persist)
        self._history = TrailingMinute()
        self._streak: dict[str, list[tuple[Snapshot, float]]] = {}
        self._open: dict[str, _Growing] = {}
        self._closed: list[Incident] = []
        self.resolved: list[Incident] = []  # closed since the caller last took them

    def observe(self, snapshot: Snapshot) -> list[Incident]:
        """Feed one snapshot; returns the incidents that opened on it."""
        opened: list[Incident] = []
        self._history.append(snapshot)
        history = self._history
        for rule in self.rules:
            value = rule.fires(history)
            if value is None:
                self._streak.pop(rule.rule_id, None)
                current = self._open.pop(rule.rule_id, None)
                if current is not None:
                    self._closed.append(replace(current.incident(), open=False))
                    self.resolved.append(self._closed[-1])
                continue
            current = self._open.get(rule.rule_id)
            if current is not None:
                current.last_seen = snapshot.taken_at
                current.count += 1
                current.peak = max(current.peak, value)
                continue
            streak = self._streak.setdefault(rule.rule_id, [])
            streak.append((snapshot, value))
            if len(streak) >= self.persist:
                peak = max(v for _, v in streak)
                incident = Incident(
                    rule.rule_id,
                    rule.severity,
                    rule.message.format(value=peak, s="" if peak == 1 else "s"),
                    streak[0][0].taken_at,
                    snapshot.taken_at,
                    len(streak),
                    peak,
                    True,
                )
                self._open[rule.rule_id] = _Growing(
                    incident, incident.last_seen, incident.count, peak
                )
                del self._streak[rule.rule_id]
                opened.append(incident)
        return opened

    def replay(self, items: Iterable[Snapshot | Gap]) -> IncidentTracker:
        """Feed recorded snapshots and gaps in tick order (resume, replay, window mode)."""
        for item in sorted(items, key=lambda x: x.tick):
            if isinstance(item, Gap):
                self.gap()
            else:
                self.observe(item)
        return self

    def gap(self) -> None:
        """A missed tick breaks every streak: nothing is known about that window."""
        self._streak.clear()

    @property
    def open_incidents(self) -> list[Incident]:
        return [growing.incident() for growing in self._open.values()]

    def incidents(self) -> list[Incident]:
        """Every incident so far, oldest first; open ones are still marked open."""
        return sorted([*self._closed, *self.open_incidents], key=lambda i: i.first_seen)


def configure_rules(table: Mapping[str, object], origin: str) -> dict[str, float]:
    """``[tool.botaudit.alerts]``: a threshold per rule id, validated with its name."""
    known = {rule.rule_id for rule in seed_rules()}
    overrides: dict[str, float] = {}
    for key, value in table.items():
        if key not in known:
            raise ConfigError(
                f"{origin} alerts.{key}: unknown alert rule (known: {', '.join(sorted(known))})"
            )
        if not is_number(value):
            raise ConfigError(f"{origin} alerts.{key}: expected a number, got {value!r}")
        overrides[key] = float(value)
    return overrides
