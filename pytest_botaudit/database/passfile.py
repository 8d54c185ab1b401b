"""The password of a connection from its passfile, read as libpq reads it (asyncpg reads the
file too, but without libpq's unescaping of ``\\:`` and ``\\\\``, so a password holding a colon
that psql reads from ``.pgpass`` would fail): the file named by ``passfile``, else
``PGPASSFILE``, else ``~/.pgpass``; ignored unless it is a regular file no one else may read;
``*`` matches any value; the first matching line wins."""

from __future__ import annotations

import getpass
import os
import stat
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

from ..fileio import NotARegularFile, open_regular

# the socket directories libpq is built with on Debian and upstream: a connection through one
# of them is "localhost" to the passfile
DEFAULT_SOCKET_DIRS = frozenset({"/var/run/postgresql", "/run/postgresql", "/tmp"})
MAX_PASSFILE_BYTES = 1 << 20


def fields(line: str) -> list[str]:
    """A passfile line's fields: split at each ':' that no backslash escapes, each backslash
    taking the character after it literally."""
    found: list[str] = []
    current: list[str] = []
    escaped = False
    for char in line:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ":" and len(found) < 4:
            found.append("".join(current))
            current = []
        else:
            current.append(char)
    found.append("".join(current))
    return found


def _first(*values: str | None) -> str:
    return next((v for v in values if v), "")


def passfile_password(uri: str | None, environ: Mapping[str, str] = os.environ) -> str | None:
    """The password the passfile gives the connection ``uri`` (as ``asyncpg_dsn`` writes it;
    None: only the PG* variables), or None when the connection names its password, names a
    service, or no line of a usable passfile matches it."""
    parts = urllib.parse.urlsplit(uri or "postgresql://")
    query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    if parts.password or query.get("password") or environ.get("PGPASSWORD"):
        return None
    if query.get("service") or environ.get("PGSERVICE"):
        return None  # a service file may name the password: asyncpg's way
    host = _first(query.get("host"), parts.hostname, environ.get("PGHOST"))
    if "," in host:
        return None  # several hosts: each would need its own line
    port = _first(query.get("port"), str(parts.port or ""), environ.get("PGPORT"), "5432")
    user = _first(
        query.get("user"), urllib.parse.unquote(parts.username or ""), environ.get("PGUSER")
    )
    user = user or getpass.getuser()
    database = _first(
        query.get("dbname"), urllib.parse.unquote(parts.path.lstrip("/")), environ.get("PGDATABASE")
    )
    database = database or user
    if not host or (host.startswith("/") and host.rstrip("/") in DEFAULT_SOCKET_DIRS):
        host = "localhost"
    path = Path(
        _first(query.get("passfile"), environ.get("PGPASSFILE")) or Path.home() / ".pgpass"
    ).expanduser()
    text = _read(path)
    if text is None:
        return None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        found = fields(line)
        if len(found) < 5:
            continue
        wanted = (host, port, database, user)
        if all(f in ("*", value) for f, value in zip(found[:4], wanted, strict=True)):
            return found[4]
    return None


def _read(path: Path) -> str | None:
    """The passfile's text, or None: missing, not a regular file, or readable by others
    (libpq ignores such a file)."""
    try:
        with open_regular(path) as handle:
            if os.fstat(handle.fileno()).st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                return None
            return handle.read(MAX_PASSFILE_BYTES).decode("utf-8", errors="replace")
    except (NotARegularFile, OSError):
        return None
