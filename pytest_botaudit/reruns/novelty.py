"""What is new since the baseline: message shapes (ERROR and CRITICAL, optionally WARNING) and
event types that the new run holds and the baseline never did. And the run's own shapes, taken
from its judged data, for shapes.json."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..logs.analyses.errors import OTHER_SHAPE, ErrorShape
from ..record.shapes import EventType, MessageShape, RunShapes
from .records import AuditRecord

if TYPE_CHECKING:
    from ..judging.audit import AuditData

GATED_LEVELS = frozenset({"ERROR", "CRITICAL"})  # a new shape of these makes a run worse


def shapes_of(run_id: str, data: AuditData) -> RunShapes:
    """The message shapes and event types of one judged run."""
    log = data.log
    shapes: list[ErrorShape] = []
    if log is not None:
        shapes = [*log.errors.shapes, *log.warning_shapes]
    return RunShapes(
        run_id,
        log_read=data.log_live,
        database_read=data.window.error is None,
        shapes=tuple(
            MessageShape(s.shape, s.level, s.count, s.first_seen, s.last_seen, s.sample, s.message)
            for s in shapes
        ),
        event_types=tuple(
            EventType(e.event_type, e.events, e.first_at.isoformat())
            for e in data.window.event_types
        ),
    )


@dataclass(frozen=True, slots=True)
class Novelty:
    """What the new run holds that the baseline never did. ``not_compared`` names each part
    that could not be compared and why (a JUnit file without its folder, a run without log)."""

    error_shapes: tuple[MessageShape, ...] = ()
    warning_shapes: tuple[MessageShape, ...] = ()
    event_types: tuple[EventType, ...] = ()
    not_compared: tuple[str, ...] = field(default_factory=tuple)


def new_since(old: AuditRecord, new: AuditRecord) -> Novelty:
    """Shapes are told apart by level and text: an ERROR that was a WARNING is new."""
    a, b = old.shapes, new.shapes
    if a is None or b is None:
        reasons = [r.shapes_missing for r in (old, new) if r.shapes is None and r.shapes_missing]
        return Novelty(not_compared=tuple(reasons or ["no message shapes recorded"]))
    missing: list[str] = []
    error_shapes: list[MessageShape] = []
    warning_shapes: list[MessageShape] = []
    if a.log_read and b.log_read:
        known = {(s.level, s.shape) for s in a.shapes}
        for shape in b.shapes:
            if shape.shape == OTHER_SHAPE or (shape.level, shape.shape) in known:
                continue
            (error_shapes if shape.level in GATED_LEVELS else warning_shapes).append(shape)
    else:
        which = "the baseline" if not a.log_read else "this run"
        missing.append(f"message shapes: {which} has no log records to compare")
    if any(s.shape == OTHER_SHAPE for s in (*a.shapes, *b.shapes)):
        missing.append("more shapes than are kept: the rarest are counted as <other>")
    event_types: tuple[EventType, ...] = ()
    if a.database_read and b.database_read:
        seen = {e.event_type for e in a.event_types}
        event_types = tuple(e for e in b.event_types if e.event_type not in seen)
    else:
        which = "the baseline" if not a.database_read else "this run"
        missing.append(f"event types: {which} read no database")
    return Novelty(
        tuple(sorted(error_shapes, key=lambda s: s.first_seen)),
        tuple(sorted(warning_shapes, key=lambda s: s.first_seen)),
        event_types,
        tuple(missing),
    )
