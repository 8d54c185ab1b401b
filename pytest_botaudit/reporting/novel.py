"""What the run holds in words the profile does not know: WARNING, ERROR and CRITICAL message
shapes no pattern classifies, and event types written in the window that no metric counts and
the profile does not call informational. A fault logged in new words is a silent zero unless
someone reads these; every output lists them, none is dropped."""

from __future__ import annotations

from ..database.queries import EventTypeCount
from ..logs.analyses.errors import ErrorShape
from .model import RunReport


def unclassified_shapes(run: RunReport) -> tuple[ErrorShape, ...]:
    log = run.data.log if run.data else None
    return log.unclassified if log is not None else ()


def uncounted_event_types(run: RunReport) -> tuple[EventTypeCount, ...]:
    data = run.data
    if data is None:
        return ()
    known = set(data.profile.named_event_types)
    return tuple(e for e in data.window.event_types if e.event_type not in known)


def novelty_line(run: RunReport) -> str:
    """One sentence for the verdict band and the terminal; empty when there is nothing."""
    shapes, types = unclassified_shapes(run), uncounted_event_types(run)
    parts = []
    if shapes:
        parts.append(f"{len(shapes)} WARNING+ message shape(s) no pattern classifies")
    if types:
        parts.append(f"{len(types)} event type(s) no metric counts")
    if not parts:
        return ""
    return f"Words the profile does not know: {' and '.join(parts)}; read them before trusting a 0."
