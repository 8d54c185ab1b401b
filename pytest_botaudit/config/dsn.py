"""Connection strings shown safely: the password of a DSN never reaches an output."""

from __future__ import annotations

import re
import urllib.parse

_URL_PASSWORD = re.compile(
    r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@?#]*:)(?P<secret>[^@/?#]*)(?=@)", re.I
)
_KEYWORD_PASSWORD = re.compile(
    r"(?P<head>\bpassword\s*=\s*)(?P<secret>'(?:[^'\\]|\\.)*'|\S+)", re.I
)
REDACTED = "***"


def redact_dsn(dsn: str | None) -> str:
    """The DSN with any password replaced by ``***`` (URL userinfo, ?password=, key=value form)."""
    if not dsn:
        return ""
    if "://" not in dsn:
        return _KEYWORD_PASSWORD.sub(lambda m: m.group("head") + REDACTED, dsn)
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + REDACTED, dsn)
    parts = urllib.parse.urlsplit(text)
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
    else:
        found = [m.group("secret") for m in _URL_PASSWORD.finditer(dsn)]
        query = urllib.parse.parse_qsl(urllib.parse.urlsplit(dsn).query, keep_blank_values=True)
        found += [v for k, v in query if k.lower() == "password"]
    decoded = [urllib.parse.unquote(s) for s in found]
    return tuple(sorted({s for s in found + decoded if s and s != REDACTED}, key=len, reverse=True))
