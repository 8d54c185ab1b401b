"""The snapshot file (JSON lines): its record kinds, written one flushed line at a time and read
back as runs. Every writer and reader of the format goes through this module."""

from __future__ import annotations

import contextlib
import enum
import errno
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, overload

from ..config.values import format_duration
from ..errors import RecordError, WriteFailed
from ..fileio import NotARegularFile, open_regular
from ..redaction import scrub
from .folder import run_id_of
from .legacy import legacy_runs
from .lock import RunLock
from .model import Gap, Snapshot, StopReason, aware

# a snapshot line is a few kilobytes (counters per exchange, the unprotected symbols)
MAX_LINE_BYTES = 16 * 2**20
# json.dumps(data, separators=(",", ":")) without making an encoder for every line
_COMPACT = json.JSONEncoder(separators=(",", ":"))
# counters renamed since a file may have been written: old name -> current name
RENAMED_COUNTERS = {"zombies_cleaned": "zombie_orders"}


class RecordKind(enum.Enum):
    """What one line of the file holds (the key that tells it is the value)."""

    HEADER = "audit"
    TICK = "gauges"
    GAP = "gap"
    RESUMED = "resumed"
    END = "audit_end"
    LEGACY = "metrics"  # a minute of bot_monitor.py (see legacy.py)

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> RecordKind | None:
        for kind in cls:
            if kind.value in data:
                return kind
        return None


@dataclass(frozen=True, slots=True)
class RunHeader:
    """The first line of a run: when it started and how it samples."""

    started_at: datetime
    interval: float
    duration: float
    profile: str | None = None
    dsn: str | None = None  # always redacted
    mode: str = "live"
    legacy: bool = False

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "started_at": self.started_at.isoformat(),
            "interval": self.interval,
            "duration": self.duration,
            "profile": self.profile,
            "mode": self.mode,
        }
        if self.dsn is not None:
            data["dsn"] = self.dsn
        return {RecordKind.HEADER.value: data}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], default_duration: float = 0.0) -> RunHeader:
        return cls(
            started_at=aware(data["started_at"]),
            interval=float(data.get("interval", 60.0)),
            duration=float(data.get("duration", default_duration)),
            profile=data.get("profile"),
            dsn=data.get("dsn"),
            mode=str(data.get("mode", "live")),
            legacy=bool(data.get("legacy", False)),
        )


@dataclass(frozen=True, slots=True)
class RunEnd:
    """The last line of a run that ended (a killed run has none: it can be resumed)."""

    ended_at: datetime
    stop_reason: StopReason
    missing_event_types: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    error: str | None = None  # why a run stopped by an error stopped

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ended_at": self.ended_at.isoformat(),
            "stop_reason": self.stop_reason.value,
            "missing_event_types": {k: list(v) for k, v in self.missing_event_types.items()},
        }
        if self.error:
            data["error"] = self.error
        return {RecordKind.END.value: data}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunEnd:
        reason = data.get("stop_reason", StopReason.COMPLETED.value)
        known = {r.value: r for r in StopReason}
        return cls(
            ended_at=aware(data["ended_at"]),
            stop_reason=known.get(reason, StopReason.COMPLETED),
            missing_event_types={
                k: tuple(v) for k, v in data.get("missing_event_types", {}).items()
            },
            error=str(data["error"]) if data.get("error") else None,
        )


@dataclass(slots=True)
class RecordedRun:
    """What a snapshot file holds for one audit (a file may hold several)."""

    header: RunHeader | None = None
    snapshots: list[Snapshot] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    ended: RunEnd | None = None
    legacy: bool = False
    run_id: str = ""

    def describe(self) -> str:
        """One line naming the run: its id, start, ticks and interval."""
        if self.legacy and self.snapshots:  # its first snapshot, as the legacy summary has it
            started = self.snapshots[0].window_end.isoformat(timespec="seconds")
        else:
            started = self.header.started_at.isoformat(timespec="seconds") if self.header else "?"
        interval = format_duration(self.header.interval) if self.header else "?"
        ticks = len(self.snapshots) + len(self.gaps)
        return f"{self.run_id} (started {started}, {ticks} ticks every {interval})"


class SnapshotWriter:
    """Appends one JSON object per line and writes it through at once, so a killed audit keeps
    all but the tick in flight. It holds the run folder's lock while open (one writer per run,
    record/lock.py); the file is opened (created) with its first line. A line starts on a line
    of its own even when the file ends in a torn one (an audit killed mid-write); a line that
    cannot be written whole (a full disk) is taken back, so the file never ends in half a
    record, and WriteFailed says why."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = RunLock(path.parent)
        self._handle: BinaryIO | None = None
        self._entered = False
        self._size = 0  # where the last whole line ends

    def __enter__(self) -> SnapshotWriter:
        self.lock.acquire()
        self._entered = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._entered = False
        handle, self._handle = self._handle, None
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.close()
        self.lock.release()

    @property
    def started(self) -> bool:
        """Whether a line was written (the file exists)."""
        return self._handle is not None

    def header(self, header: RunHeader) -> None:
        self._line(header.to_json())

    def tick(self, item: Snapshot | Gap) -> None:
        self._line(item.to_json())

    def resumed(self, at: datetime, after_tick: int) -> None:
        self._line({RecordKind.RESUMED.value: {"at": at.isoformat(), "after_tick": after_tick}})

    def end(self, end: RunEnd) -> None:
        self._line(end.to_json())

    def _line(self, data: Mapping[str, Any]) -> None:
        assert self._entered, "SnapshotWriter used outside its with-block"
        text = scrub(_COMPACT.encode(data)) + "\n"
        try:
            if self._handle is None:
                self._open()
            self._write(text.encode("utf-8"))
        except OSError as exc:
            raise WriteFailed(self.path, exc) from None

    def _open(self) -> None:
        self._handle = self.path.open("a+b", buffering=0)
        self._size = self._handle.seek(0, os.SEEK_END)
        if self._size and os.pread(self._handle.fileno(), 1, self._size - 1) != b"\n":
            self._write(b"\n")  # a torn last line stays torn, and ours starts afresh

    def _write(self, data: bytes) -> None:
        assert self._handle is not None
        view = memoryview(data)
        try:
            while view:
                written = self._handle.write(view)
                if not written:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                view = view[written:]
        except OSError:
            with contextlib.suppress(OSError):  # take back what part of the line was written
                os.ftruncate(self._handle.fileno(), self._size)
            raise
        self._size += len(data)


def lines(path: Path) -> Iterator[tuple[int, RecordKind, Mapping[str, Any]]]:
    """Each readable line with its number and kind. A half-written line (the tick in flight
    when an audit was killed) is skipped; a file that is not JSON lines at all is an error."""
    bad = 0
    good = 0
    for number, raw in enumerate(_bounded_lines(path), 1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            bad += 1
            if bad > max(2, good):  # more than a torn line or two: not a snapshot file
                raise RecordError(
                    f"'{path}' line {number}: not a snapshot file (not JSON lines)"
                ) from None
            continue
        kind = RecordKind.of(data) if isinstance(data, dict) else None
        if kind is not None:
            good += 1
            yield number, kind, data


def _bounded_lines(path: Path) -> Iterator[bytes]:
    """The file's lines; one longer than MAX_LINE_BYTES is no record (it is read past in
    bounded pieces and counted as a bad line). Only a regular file is read: a FIFO or a device
    in its place is refused at once, never waited on."""
    try:
        handle = open_regular(path)
    except NotARegularFile as exc:
        raise RecordError(f"'{path}': {str(exc).removeprefix(f'{path}: ')}") from None
    with handle:
        while raw := handle.readline(MAX_LINE_BYTES):
            if len(raw) == MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while (rest := handle.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                    pass
                yield b"{"  # not JSON: counted as a bad line
                continue
            yield raw


def snapshot_from_json(data: Mapping[str, Any]) -> Snapshot:
    snapshot = Snapshot.from_json(data)
    if not RENAMED_COUNTERS.keys() & snapshot.counters.keys():
        return snapshot
    counters = {RENAMED_COUNTERS.get(k, k): v for k, v in snapshot.counters.items()}
    return replace(snapshot, counters=counters)


def read_run(path: Path) -> RecordedRun:
    """The last audit recorded in ``path``."""
    return read_runs(path)[-1]


def read_runs(path: Path) -> list[RecordedRun]:
    """Every audit recorded in ``path``, oldest first: each header of ours starts one; a
    legacy file's runs are told apart by its monitor's restarts and long pauses."""
    runs = _read_runs(path)
    seen: dict[str, int] = {}
    for run in runs:
        base = run_id_of(run.snapshots[0].window_end if run.legacy else _start(run))
        seen[base] = seen.get(base, 0) + 1
        run.run_id = base if seen[base] == 1 else f"{base}-{seen[base]}"
    return runs


def _start(run: RecordedRun) -> datetime:
    if run.header is not None:
        return run.header.started_at
    return run.snapshots[0].window_start if run.snapshots else datetime.now(UTC)


def _read_runs(path: Path) -> list[RecordedRun]:
    run = RecordedRun()
    runs = [run]
    legacy: list[tuple[datetime, Mapping[str, Any]]] = []
    for number, kind, data in lines(path):
        try:
            if kind is RecordKind.HEADER:
                run = RecordedRun(header=RunHeader.from_json(data[kind.value]))
                runs.append(run)
            elif kind is RecordKind.END:
                run.ended = RunEnd.from_json(data[kind.value])
            elif kind is RecordKind.GAP:
                start, end = data["window"]
                run.gaps.append(Gap(int(data["tick"]), aware(start), aware(end), data["reason"]))
            elif kind is RecordKind.TICK:
                run.snapshots.append(snapshot_from_json(data))
            elif kind is RecordKind.LEGACY and "timestamp" in data:
                legacy.append((aware(data["timestamp"]), dict(data["metrics"])))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise RecordError(
                f"'{path}' line {number}: a {kind.name.lower()} record of the wrong shape "
                f"({type(exc).__name__}: {exc})"
            ) from None
    ours = [r for r in runs if r.header is not None or r.snapshots or r.gaps]
    if legacy and not any(r.snapshots for r in ours):
        try:
            old_runs = legacy_runs(legacy)
        except (TypeError, ValueError, AttributeError) as exc:
            raise RecordError(f"'{path}': a legacy record of the wrong shape ({exc})") from None
        return [
            RecordedRun(
                RunHeader(old.started_at, old.interval, old.duration, legacy=True),
                list(old.snapshots),
                list(old.gaps),
                None,
                legacy=True,
            )
            for old in old_runs
        ]
    return ours or [RecordedRun()]


class RecordedSnapshots(Sequence[Snapshot]):
    """The snapshots of the last run of a snapshot file, read back from the file each time they
    are asked for: a result of window mode or of a live audit holds this, not the snapshots
    (what the checks and reports need is in the run's digest). ``taken`` is how many it holds."""

    def __init__(self, path: Path, taken: int) -> None:
        self.path = path
        self.taken = taken

    def _read(self) -> list[Snapshot]:
        return read_run(self.path).snapshots[: self.taken] if self.taken else []

    def __len__(self) -> int:
        return self.taken

    @overload
    def __getitem__(self, index: int) -> Snapshot: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Snapshot]: ...

    def __getitem__(self, index: int | slice) -> Snapshot | Sequence[Snapshot]:
        return self._read()[index]

    def __iter__(self) -> Iterator[Snapshot]:
        return iter(self._read())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # equal to a list of the same snapshots

    def __repr__(self) -> str:
        return f"RecordedSnapshots({str(self.path)!r}, {self.taken})"
