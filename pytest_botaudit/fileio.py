"""Opening input files safely: only regular files (after following links) are read, opened
without blocking, so a FIFO, a device or a directory in place of a file is a reported problem
of that file, never a hang."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
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
        raise NotARegularFile(f"{path}: cannot read it (no such file)") from None
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


def read_regular_text(path: Path, limit: int) -> str:
    """A regular file of at most ``limit`` bytes as UTF-8 text; bytes that are not UTF-8 raise
    UnicodeDecodeError (the caller names the file)."""
    return read_regular_bytes(path, limit).decode("utf-8")


def regular_lines(path: Path, max_line: int) -> Iterator[bytes]:
    """The lines of a regular file, each read with a bound: a line longer than ``max_line``
    comes in pieces of that size, so no input can make one line take unbounded memory."""
    with open_regular(path) as handle:
        while line := handle.readline(max_line):
            yield line


def not_regular(path: Path) -> str | None:
    """Why ``path`` (links followed) is not a regular file now, or None when it is one."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "no such file"
    except OSError as exc:
        return f"cannot read it ({exc.strerror})"
    return None if stat.S_ISREG(mode) else f"is {_kind(mode)}, not a regular file"


def is_regular(path: Path) -> bool:
    """True when ``path`` (links followed) is a regular file now."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False
