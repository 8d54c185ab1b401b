"""The summary JSON (``monitoring_report_*.json``): the seed's fields plus incidents and gaps."""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..config.values import format_duration
from ..errors import WriteFailed
from ..redaction import scrub
from .folder import RunFolder
from .model import CollectionResult, Severity, StopReason


def summary(result: CollectionResult) -> dict[str, Any]:
    """The seed's summary fields, plus incidents, gaps and what the profile could not see."""
    incidents = list(result.incidents)
    by_severity = {s: sum(1 for i in incidents if i.severity is s) for s in Severity}
    return {
        "monitoring_duration_minutes": round(
            (result.ended_at - result.started_at).total_seconds() / 60, 2
        ),
        "monitoring_start": result.started_at.isoformat(),
        "monitoring_end": result.ended_at.isoformat(),
        "interval_seconds": result.interval,
        "planned_duration": format_duration(result.duration),
        "stop_reason": result.stop_reason.value,
        "error": result.error,
        "snapshots_expected": result.expected_ticks,
        "snapshots_collected": result.taken,
        "total_alerts": len(incidents),
        "critical_alerts": by_severity[Severity.CRITICAL],
        "warning_alerts": by_severity[Severity.WARNING],
        "info_alerts": by_severity[Severity.INFO],
        "metrics_summary": {
            "total_positions_opened": result.total("new_positions_opened"),
            "total_positions_closed": result.total("positions_closed"),
            "total_ts_activations": result.total("ts_activations"),
            "total_sl_updates": result.total("sl_updates_with_ts"),
            "total_zombies": result.total("zombie_orders"),
            "total_errors": result.total("api_errors"),
            "total_emergency_closes": result.total("emergency_closes"),
            "total_ws_reconnects": result.total("ws_reconnects"),
            "peak_unprotected_positions": result.peak("unprotected_positions"),
            "peak_aged_positions": result.peak("aged_positions"),
        },
        "alerts": [
            {
                "severity": i.severity.value,
                "message": i.message,
                "timestamp": i.first_seen.isoformat(),
            }
            for i in incidents
        ],
        "incidents": [i.to_json() for i in incidents],
        "gaps": [g.to_json() for g in result.gaps],
        "log_gaps": [
            {"ticks": [first, last], "reason": reason} for first, last, reason in result.log_gaps()
        ],
        "missing_event_types": {k: list(v) for k, v in result.missing_event_types.items()},
        "missing_columns": list(result.missing_columns),
        "snapshot_file": str(result.snapshot_path),
    }


def write_summary(result: CollectionResult, folder: RunFolder) -> CollectionResult:
    """The summary written; when it cannot be (a full disk), the run as collected, its status
    ``error`` with the reason: what was collected is still judged."""
    try:
        path = write_json(folder.summary_file(result.ended_at), summary(result))
    except WriteFailed as exc:
        return failed(result, str(exc))
    return replace(result, summary_path=path)


def failed(result: CollectionResult, reason: str) -> CollectionResult:
    """The run with a write failure recorded: stopped by an error, the reasons kept."""
    error = f"{result.error}; {reason}" if result.error else reason
    return replace(result, stop_reason=StopReason.ERROR, error=error)


def write_json(path: Path, data: Mapping[str, Any] | list[Any]) -> Path:
    """json_text(data), written through a temporary file and renamed (a reader never sees half
    a report) a block at a time as it is encoded: the text of a day's summary at 1 s (4 MB and
    its copies) is never held whole."""
    return _write_through(path, _scrubbed_blocks(_INDENTED.iterencode(data)))


_INDENTED = json.JSONEncoder(indent=2, default=str, ensure_ascii=False)
BLOCK_CHARACTERS = 2**16  # what write_json holds of a text (in its pieces) before it writes it


def _scrubbed_blocks(pieces: Iterable[str]) -> Iterator[str]:
    """The pieces of an indented JSON text and its final newline, in blocks scrubbed one by one.
    A block ends before a line break: a JSON text's line breaks are its indentation (those of
    its strings are escaped), so a secret found in the whole text is found in one block."""
    held: list[str] = []
    size = 0
    for piece in pieces:
        held.append(piece)
        size += len(piece)
        if size >= BLOCK_CHARACTERS:
            text = "".join(held)
            cut = text.rfind("\n")
            if cut > 0:
                yield scrub(text[:cut])
                text = text[cut:]
            held, size = [text], len(text)
    yield scrub("".join(held) + "\n")


def json_text(data: Mapping[str, Any] | list[Any]) -> str:
    """``json.dumps(data, indent=2, default=str, ensure_ascii=False)`` and a newline, gathered
    piece by piece: dumps holds every piece of an indented text in a list before joining them,
    ten times the text's size."""
    text = io.StringIO()
    for piece in _INDENTED.iterencode(data):
        text.write(piece)
    text.write("\n")
    return text.getvalue()


def write_text(path: Path, text: str) -> Path:
    """Write through a temporary file and rename, so a reader never sees half a file. A write
    that fails (a full disk) leaves no temporary file behind and raises WriteFailed."""
    return _write_through(path, (scrub(text),))


def _write_through(path: Path, blocks: Iterable[str]) -> Path:
    temporary = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("w", encoding="utf-8") as handle:
            for block in blocks:
                handle.write(block)
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise WriteFailed(path, exc) from None
    except BaseException:  # the text could not be made (a value JSON cannot hold, Ctrl+C)
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return path
