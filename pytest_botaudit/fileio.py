"""Opening input files safely: only regular files (after following links) are read, opened
without blocking, so a FIFO, a device or a directory in place of a file is a reported problem
of that file, never a hang."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from .errors import BotAuditError


class NotARegularFile(BotAuditError):
    """A path that should be a file is a directory, FIFO, socket or device (or is missing)."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def open_regular(path: Path) -> BinaryIO:
    """``path`` opened for binary reading, checked to be a regular file on the opened handle
    (no race between a check and the open). Opening never blocks: ``O_NONBLOCK`` makes a FIFO
    without a writer open at once, and it is then refused like any other non-file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise NotARegularFile(f"{path}: no such file") from None
    except IsADirectoryError:
        raise NotARegularFile(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise NotARegularFile(f"{path}: cannot open it ({exc.strerror})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFile(f"{path}: is {_kind(mode)}, not a regular file")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular_bytes(path: Path, limit: int) -> bytes:
    """At most ``limit`` bytes of a regular file; a longer one is refused by size."""
    with open_regular(path) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise NotARegularFile(f"{path}: larger than {limit:,} bytes, not read")
    return data


def is_regular(path: Path) -> bool:
    """True when ``path`` (links followed) is a regular file now."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False
