"""A run folder's lock: one writer of a run at a time (a live audit or its resume). The lock is
an exclusive ``flock`` on ``<run>/.botaudit.lock``, which also names its holder (pid, host,
since when), so a second writer can say who is writing. The kernel drops the lock of a process
that dies, and the name it left behind tells it apart from a lock released at the end: that
one is taken over, with a note. This module is the one that writes and reads the file."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from ..errors import BotAuditError
from ..escape import for_terminal

LOCK_NAME = ".botaudit.lock"
_ATTEMPTS = 20  # a probe holds the lock for an instant: a writer tries again for a second
_PAUSE = 0.05


class RunLocked(BotAuditError):
    """Another process is writing this run (the message names it)."""


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds (or held) a run's lock."""

    pid: int
    host: str
    since: str

    def describe(self) -> str:
        """Who, for a one-line message (the lock file is anyone's to write: its text is shown
        as text)."""
        here = "" if self.host == socket.gethostname() else " (another machine)"
        host, since = for_terminal(self.host), for_terminal(self.since)
        return f"pid {self.pid} on host {host}{here}, since {since}"


def _read_holder(fd: int) -> Holder | None:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = os.read(fd, 4096)
    try:
        data = json.loads(raw.decode("utf-8"))
        return Holder(int(data["pid"]), str(data["host"]), str(data["since"]))
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None


def _open(folder: Path) -> int:
    return os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)


def _open_existing(folder: Path) -> int | None:
    """``folder``'s lock file opened to read, or None when there is none (or it cannot be)."""
    path = folder / LOCK_NAME
    if not path.exists():
        return None
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return None


def held_by(folder: Path) -> Holder | None:
    """The live holder of ``folder``'s lock, or None when nobody writes the run now."""
    fd = _open_existing(folder)
    if fd is None:
        return None
    try:
        try:  # a shared lock is refused while a writer holds the exclusive one
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(fd) or Holder(0, "?", "?")
        holder = _read_holder(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        if holder is not None and holder.host != socket.gethostname():
            return holder  # a writer on another machine: its lock cannot be checked from here
        return None
    finally:
        os.close(fd)


def stale_holder(folder: Path) -> Holder | None:
    """The process named by a lock nobody holds (it died while writing), if there is one."""
    if held_by(folder) is not None:
        return None
    fd = _open_existing(folder)
    if fd is None:
        return None
    try:
        return _read_holder(fd)
    finally:
        os.close(fd)


class RunLock:
    """``with RunLock(folder):`` -- the run is ours until the block ends. Raises RunLocked,
    naming the holder, when another live process writes it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.taken_over: Holder | None = None  # the dead writer whose lock this one took
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = _open(self.folder)
        try:
            for attempt in range(_ATTEMPTS):
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if attempt == _ATTEMPTS - 1:
                        holder = _read_holder(fd)
                        who = holder.describe() if holder else "another process"
                        raise RunLocked(
                            f"run {self.folder.name} is being written by {who}: one writer "
                            "at a time (resume it once that audit has stopped)"
                        ) from None
                    time.sleep(_PAUSE)
            previous = _read_holder(fd)
            if previous is not None and previous.host != socket.gethostname():
                raise RunLocked(
                    f"run {self.folder.name} is locked by {previous.describe()}, which cannot "
                    f"be checked from here; if no audit runs there, delete "
                    f"{self.folder / LOCK_NAME}"
                )
            self.taken_over = previous
            mine = {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "since": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(mine).encode() + b"\n", 0)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)  # released, not abandoned: the next writer takes it silently
        os.close(fd)  # closing drops the flock

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
