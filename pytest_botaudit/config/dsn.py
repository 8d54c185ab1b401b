"""Connection strings shown safely: the password of a DSN never reaches an output."""

from __future__ import annotations

import contextlib
import re
import urllib.parse

_URL_PASSWORD = re.compile(
    r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@?#]*:)(?P<secret>[^@/?#]*)(?=@)", re.I
)
_KEYWORD_PASSWORD = re.compile(
    r"(?P<head>\bpassword\s*=\s*)(?P<secret>'(?:[^'\\]|\\.)*'|\S+)", re.I
)
_QUERY_PASSWORD = re.compile(r"(?P<head>[?&]password=)(?P<secret>[^&#]*)", re.I)
REDACTED = "***"


def redact_dsn(dsn: str | None) -> str:
    """The DSN with any password replaced by ``***`` (URL userinfo, ?password=, key=value form)."""
    if not dsn:
        return ""
    if "://" not in dsn:
        return _KEYWORD_PASSWORD.sub(lambda m: m.group("head") + REDACTED, dsn)
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + REDACTED, dsn)
    try:
        parts = urllib.parse.urlsplit(text)
    except ValueError:  # not a URI after all: hide whatever follows a password key too
        return _QUERY_PASSWORD.sub(lambda m: m.group("head") + REDACTED, text)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    if any(key.lower() == "password" for key, _ in query):
        cleaned = [(k, REDACTED if k.lower() == "password" else v) for k, v in query]
        text = urllib.parse.urlunsplit(
            parts._replace(query=urllib.parse.urlencode(cleaned, safe="*/"))
        )
    return text


def secrets_of(dsn: str | None) -> tuple[str, ...]:
    """Every password literal inside a DSN, so outputs can be scrubbed of it."""
    if not dsn:
        return ()
    if "://" not in dsn:
        found = [m.group("secret").strip("'") for m in _KEYWORD_PASSWORD.finditer(dsn)]
        with contextlib.suppress(ValueError):  # a malformed string has its regex match
            found += [conninfo(dsn).get("password", "")]
    else:
        found = [m.group("secret") for m in _URL_PASSWORD.finditer(dsn)]
        found += [m.group("secret") for m in _QUERY_PASSWORD.finditer(dsn)]
    decoded = [urllib.parse.unquote(s) for s in found]
    return tuple(sorted({s for s in found + decoded if s and s != REDACTED}, key=len, reverse=True))


URI_SCHEMES = ("postgresql://", "postgres://")
# libpq's connection keywords that asyncpg reads too (as URI query parameters)
KEYWORDS = frozenset(
    {
        "host",
        "hostaddr",
        "port",
        "dbname",
        "user",
        "password",
        "passfile",
        "service",
        "sslmode",
        "sslcert",
        "sslkey",
        "sslrootcert",
        "sslcrl",
        "sslpassword",
        "target_session_attrs",
        "application_name",
        "connect_timeout",  # read here, not passed on: the audit has its own timeouts
    }
)
_PAIR = re.compile(r"\s*(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*")


def conninfo(text: str) -> dict[str, str]:
    """libpq's keyword/value form (``host=/run/postgresql port=5432 user=auditor``): values
    may be single-quoted, with ``\\'`` and ``\\\\`` escapes. Raises ValueError on a malformed string
    or a keyword libpq does not know."""
    pairs: dict[str, str] = {}
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _PAIR.match(text, position)
        if match is None:
            raise ValueError(f"expected keyword=value at '{text[position : position + 20]}'")
        key = match.group("key").lower()
        position = match.end()
        if text[position : position + 1] == "'":
            value, position = _quoted(text, position + 1)
        else:
            end = position
            while end < len(text) and not text[end].isspace():
                end += 1
            value, position = text[position:end], end
        if key not in KEYWORDS:
            raise ValueError(f"unknown connection keyword '{key}'")
        pairs[key] = value
    if not pairs:
        raise ValueError("empty connection string")
    return pairs


def _quoted(text: str, position: int) -> tuple[str, int]:
    out: list[str] = []
    while position < len(text):
        char = text[position]
        if char == "\\" and position + 1 < len(text):
            out.append(text[position + 1])
            position += 2
            continue
        if char == "'":
            return "".join(out), position + 1
        out.append(char)
        position += 1
    raise ValueError("unterminated quoted value")


def asyncpg_dsn(dsn: str) -> str:
    """A connection string read as libpq reads it (a URI, or keyword/value pairs), as the URI
    asyncpg reads the same way: a URI's ``?host=`` and ``?port=`` override its authority, as
    in psql. Raises ValueError naming what is wrong."""
    text = dsn.strip()
    if text.lower().startswith(URI_SCHEMES):
        try:
            parts = urllib.parse.urlsplit(text)
            port = parts.port
        except ValueError as exc:
            raise ValueError(f"invalid connection URI ({exc})") from None
        query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        overridden = {key for key, _ in query} & {"host", "port"}
        if not overridden:
            return text
        # asyncpg reads ?host= and ?port= only without an authority: move it into the query
        userinfo = parts.netloc.rpartition("@")[0]
        moved = [("host", parts.hostname)] if parts.hostname and "host" not in overridden else []
        moved += [("port", str(port))] if port and "port" not in overridden else []
        netloc = f"{userinfo}@" if userinfo else ""
        rebuilt = urllib.parse.urlencode([*moved, *query], safe="/")
        return urllib.parse.urlunsplit(parts._replace(netloc=netloc, query=rebuilt))
    if "://" in text:
        raise ValueError("a URI starts with postgresql:// or postgres://")
    pairs = conninfo(text)
    pairs.pop("connect_timeout", None)
    if "hostaddr" in pairs:
        address = pairs.pop("hostaddr")
        pairs.setdefault("host", address)
    return "postgresql://?" + urllib.parse.urlencode(pairs, safe="/")


def parse_dsn(text: str) -> str:
    """The --audit-dsn option: kept as given (shown redacted), checked here."""
    asyncpg_dsn(text)
    return text
