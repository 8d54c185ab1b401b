"""The secrets the audit itself knows -- the database password of its DSN, the tokens of its
notification URLs, the secret values of the bot's ``.env`` -- hidden wherever they appear: in
log lines and database rows quoted as evidence, in error messages, in every file of a run and
on the terminal. ``scrub`` is the one function every output's text passes through last (the
files' writer, the terminal's, pytest's reports, the HTML); the profile's ``log.redact``
patterns hide the secrets the audit does not know (an exchange's API key)."""

from __future__ import annotations

import html
import json
import re
import threading
import urllib.parse
from collections.abc import Iterable

REDACTED = "***"
# A secret shorter than this is not hidden in free text: replacing "bot" or "1234" everywhere
# would garble the report, and such a value is no secret anyway (in a DSN it is hidden
# whatever its length, config/dsn.py).
MIN_SECRET_LENGTH = 6

_lock = threading.Lock()
_known: frozenset[str] = frozenset()
_pattern: re.Pattern[str] | None = None


def forms(secret: str) -> set[str]:
    """A secret as the outputs may spell it: as is, URL-quoted, HTML- and JSON-escaped (a
    writer scrubs the final text of a file, after its renderer escaped it)."""
    return {
        secret,
        urllib.parse.quote(secret, safe=""),
        html.escape(secret, quote=True),
        html.escape(secret, quote=False),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }


def remember(secrets: Iterable[str]) -> None:
    """Hide these values from now on, in every spelling (blank and short ones are ignored)."""
    global _known, _pattern
    with _lock:
        known = _known | {form for s in secrets if len(s) >= MIN_SECRET_LENGTH for form in forms(s)}
        if known == _known:
            return
        # longest first, so a secret that contains another is hidden whole
        ordered = sorted(known, key=len, reverse=True)
        # the pattern before the set: a reader on another thread (the log read while the
        # database is) that sees the new set of secrets scrubs with its pattern already
        _pattern = re.compile("|".join(re.escape(s) for s in ordered))
        _known = known


def forget() -> None:
    """Hide nothing any more (the end of a pytest session: the next one has its own)."""
    global _known, _pattern
    with _lock:
        _known, _pattern = frozenset(), None


def known() -> frozenset[str]:
    return _known


def scrub(text: str) -> str:
    """``text`` with every secret the audit knows replaced by ``***``."""
    pattern = _pattern
    if pattern is None or not text:
        return text
    return pattern.sub(REDACTED, text)
