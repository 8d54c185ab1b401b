"""The profile's log fields, each read with a pointed error naming its key and the file:
patterns, levels, repeats, streams, redaction, the log's zone."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import ProfileError
from .profile_fields import Where

# Secrets an exchange error or a traceback may carry, hidden in every log sample and error
# shape before any output. Groups named "secret..." hide just that part (the one that
# matched); a pattern without one is hidden whole.
DEFAULT_REDACT = (
    # a named value, `key=value`, `key: value`, `"key": "value"` (quoted: whole, spaces and
    # all), the name anywhere in a word: BYBIT_API_SECRET, aws_secret_access_key, db_password,
    # MASTER_KEY (utils/crypto_manager.py@9d9879e and @116d884 log it at WARNING and INFO)
    # (the look-ahead at a name's first letter makes the scan of a line ~4x faster)
    r"(?i)(?=[aslpmt])(?:api[_-]?key|apikey|signature|listen[_-]?key|secret|passphrase|password|passwd"
    r"|pwd|master[_-]?key|private[_-]?key|access[_-]?key|token)[A-Za-z0-9_-]*[\"']?\s*[:=]\s*"
    r"(?:\"(?P<secret>(?:[^\"\\]|\\.)+)\"|'(?P<secret_single>(?:[^'\\]|\\.)+)'"
    r"|(?P<secret_bare>[^\"'&\s,;}]+))",
    # the password of a URL: postgresql://bot:PW@db/fox_crypto, redis://:PW@cache
    r"(?i)\b[a-z][a-z0-9+.-]*://[^:/@\s]*:(?P<secret>[^@/\s]+)@",
    # a PEM private key's body, on its lines or in one ("\n" written out)
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?s:.*?)(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)",
    r"\b[0-9a-fA-F]{32,}\b",
    r"\b[A-Za-z0-9+/_-]{40,}={0,2}",
)
REDACTED = "***"


def redaction(where: Where, log: Mapping[str, Any]) -> tuple[re.Pattern[str], ...]:
    raw = log.get("redact")
    texts = DEFAULT_REDACT if raw is None else where.strings(log, "redact", "log")
    try:
        return tuple(re.compile(text) for text in texts)
    except re.error as exc:
        raise where.fail("log.redact", f"bad regular expression ({exc})") from None


def redact(text: str, patterns: tuple[re.Pattern[str], ...]) -> str:
    """``text`` with every secret the patterns find replaced by ``***``."""
    for pattern in patterns:
        if any(name.startswith("secret") for name in pattern.groupindex):
            text = pattern.sub(_hide_secret_group, text)
        else:
            text = pattern.sub(REDACTED, text)
    return text


def _hide_secret_group(match: re.Match[str]) -> str:
    """The match with its ``secret...`` group hidden (the one that matched), what comes
    before and after it kept."""
    whole, start = match.group(0), match.start()
    group = next(
        name for name in match.re.groupindex if name.startswith("secret") and match.start(name) >= 0
    )
    return whole[: match.start(group) - start] + REDACTED + whole[match.end(group) - start :]


def high_volume(
    where: Where, log: Mapping[str, Any], patterns: Mapping[str, tuple[re.Pattern[str], ...]]
) -> dict[str, tuple[str, ...]]:
    """Category -> the literal prefixes its '^literal' patterns stand for."""
    prefixes: dict[str, tuple[str, ...]] = {}
    for category in where.strings(log, "high_volume", "log"):
        if category not in patterns:
            raise where.fail("log.high_volume", f"no log.patterns.{category} in the profile")
        literal = []
        for pattern in patterns[category]:
            prefix = literal_prefix(pattern.pattern)
            if prefix is None:
                raise where.fail(
                    f"log.patterns.{category}",
                    "a high-volume category needs plain "
                    f"'^prefix' patterns, got {pattern.pattern!r}",
                )
            literal.append(prefix)
        prefixes[category] = tuple(literal)
    return prefixes


_REGEX_META = frozenset(".^$*+?{}[]|()")


def literal_prefix(text: str) -> str | None:
    """The literal text of a '^literal' pattern (escaped punctuation allowed), else None."""
    if not text.startswith("^"):
        return None
    out: list[str] = []
    position = 1
    while position < len(text):
        char = text[position]
        if char == "\\":
            following = text[position + 1 : position + 2]
            if not following or following.isalnum():
                return None
            out.append(following)
            position += 2
            continue
        if char in _REGEX_META:
            return None
        out.append(char)
        position += 1
    return "".join(out)


def exchange_pattern(where: Where, log: Mapping[str, Any]) -> re.Pattern[str] | None:
    text = log.get("exchange_pattern")
    if text is None:
        return None
    try:
        pattern = re.compile(str(text))
    except re.error as exc:
        raise where.fail("log.exchange_pattern", f"bad regular expression ({exc})") from None
    if "exchange" not in pattern.groupindex:
        raise where.fail("log.exchange_pattern", "needs a named group (?P<exchange>...)")
    return pattern


def log_zone(where: Where, name: object) -> tzinfo | None:
    """None means local time, which is what Python logging's asctime uses."""
    if name == "local":
        return None
    if not isinstance(name, str):
        raise where.fail("log.timezone", f"expected 'local', 'UTC' or a zone name, got {name!r}")
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise where.fail("log.timezone", f"unknown time zone {name!r}") from None


def compile_patterns(
    where: Where, data: Mapping[str, Any]
) -> dict[str, tuple[re.Pattern[str], ...]]:
    log = where.table(data, "log", required=False)
    raw = where.table(log, "patterns", "log", required=False) if log else {}
    compiled: dict[str, tuple[re.Pattern[str], ...]] = {}
    for category in raw:
        items = where.strings(raw, category, "log.patterns")
        try:
            compiled[category] = tuple(re.compile(p) for p in items)
        except re.error as exc:
            raise ProfileError(
                f"profile {where.source}: log.patterns.{category}: bad regular expression "
                f"{exc.pattern!r} ({exc})"
            ) from None
    return compiled


def text_map(where: Where, data: Mapping[str, Any], key: str, parent: str) -> dict[str, str]:
    table = where.table(data, key, parent, required=False)
    if not all(isinstance(v, str) for v in table.values()):
        raise where.fail(f"{parent}.{key}", f"expected names as text, got {dict(table)!r}")
    return {str(k): str(v) for k, v in table.items()}


LEVEL_NAMES = frozenset({"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"})
# the levels a classification-only category is matched at (it names problems the bot logs)
CLASSIFIED_LEVELS = frozenset({"WARNING", "ERROR", "CRITICAL"})


def classification(
    where: Where, log: Mapping[str, Any], patterns: Mapping[str, Any]
) -> tuple[str, ...]:
    names = where.strings(log, "classification", "log")
    for name in names:
        if name not in patterns:
            raise where.fail("log.classification", f"no log.patterns.{name} in the profile")
    return names


def category_levels(
    where: Where, log: Mapping[str, Any], patterns: Mapping[str, Any]
) -> dict[str, frozenset[str]]:
    """Category -> the levels its patterns are tried at; classification-only categories
    default to WARNING and above."""
    levels: dict[str, frozenset[str]] = dict.fromkeys(
        classification(where, log, patterns), CLASSIFIED_LEVELS
    )
    for category, names in where.table(log, "levels", "log", required=False).items():
        key = f"log.levels.{category}"
        if category not in patterns:
            raise where.fail(key, f"no log.patterns.{category} in the profile")
        chosen = where.strings(where.table(log, "levels", "log"), category, "log.levels")
        unknown = set(chosen) - LEVEL_NAMES
        if unknown or not chosen:
            raise where.fail(key, f"expected levels among {sorted(LEVEL_NAMES)}, got {names!r}")
        levels[category] = frozenset(chosen)
    return levels


def repeats(where: Where, log: Mapping[str, Any], patterns: Mapping[str, Any]) -> dict[str, float]:
    table = where.table(log, "repeats", "log", required=False)
    found: dict[str, float] = {}
    for category in table:
        if category not in patterns:
            raise where.fail(
                f"log.repeats.{category}", f"no log.patterns.{category} in the profile"
            )
        found[category] = where.number(table, category, "log.repeats", 1.0)
    return found


RECORDS = "records"  # log.coverage: any record of the window shows the topic is logged


def coverage(
    where: Where, log: Mapping[str, Any], patterns: Mapping[str, Any]
) -> dict[str, tuple[str, ...]]:
    """Category -> the categories whose records show the log covers its topic (``records``:
    any record). Unlisted, no mention of the topic is no evidence of its absence."""
    table = where.table(log, "coverage", "log", required=False)
    found: dict[str, tuple[str, ...]] = {}
    for category, value in table.items():
        key = f"log.coverage.{category}"
        if category not in patterns:
            raise where.fail(key, f"no log.patterns.{category} in the profile")
        if value == RECORDS:
            found[category] = (RECORDS,)
            continue
        names = where.strings(table, category, "log.coverage", allow_empty=False)
        unknown = [n for n in names if n not in patterns]
        if unknown:
            raise where.fail(key, f"no log.patterns.{unknown[0]} in the profile")
        found[category] = names
    return found
