"""The bot's ``.env`` read as the bot reads it: python-dotenv's rules (the bot loads it with
``load_dotenv(override=True)``) and its boolean test, ``os.getenv(KEY, 'false').lower() ==
'true'`` (JacobJanuary/TradingBot config/settings.py at 9d9879e and 116d884). Only what the bot
itself reads as true is true: ``1``, ``yes``, ``on``, an empty value or an unresolved
``${VAR}`` are not."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_ASSIGNMENT = re.compile(
    r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_.]*)\s*(?P<eq>=)?(?P<rest>.*)$"
)
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
_INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")
_SECRET_KEY = re.compile(r"(?i)(key|secret|pass|token|pwd|auth|signature|credential)")


@dataclass(frozen=True, slots=True)
class EnvEntry:
    line: int
    key: str
    value: str | None  # None: ``KEY`` alone (python-dotenv sets nothing)
    unresolved: tuple[str, ...] = ()  # ${VAR} names the file does not define

    @property
    def secret(self) -> bool:
        """A key whose value must never be shown (API keys, passwords, tokens)."""
        return bool(_SECRET_KEY.search(self.key))

    def shown(self) -> str:
        if self.value is None:
            return f"{self.key} (no value)"
        return f"{self.key}=***" if self.secret else f"{self.key}={self.value!r}"


def _unquote(rest: str) -> tuple[str, bool]:
    """The value of ``KEY=<rest>`` and whether it was quoted (quoted values keep their
    spaces and are not interpolated when single-quoted)."""
    text = rest.strip()
    if text[:1] in ("'", '"'):
        quote = text[0]
        body: list[str] = []
        position = 1
        while position < len(text):
            char = text[position]
            if char == "\\" and quote == '"' and position + 1 < len(text):
                following = text[position + 1]
                body.append(_ESCAPES.get(following, char + following))
                position += 2
                continue
            if char == quote:
                return "".join(body), True
            body.append(char)
            position += 1
        return text, False  # no closing quote: python-dotenv keeps the text as written
    # an inline comment needs whitespace before '#'
    comment = re.search(r"\s#", text)
    return (text[: comment.start()] if comment else text).strip(), False


def _interpolate(value: str, defined: Mapping[str, str], unresolved: list[str]) -> str:
    def resolve(found: re.Match[str]) -> str:
        name = found.group("name")
        if name in defined:
            return defined[name]
        if found.group("default") is not None:
            return found.group("default")
        unresolved.append(name)
        return found.group(0)

    return _INTERPOLATION.sub(resolve, value)


def parse_env(text: str, environment: Mapping[str, str] | None = None) -> list[EnvEntry]:
    """Every assignment of a .env text in order, values as python-dotenv gives them.
    ``${VAR}`` is resolved from the file's earlier keys (then ``environment``); one that
    neither defines stays in the value and is named in ``unresolved``."""
    defined: dict[str, str] = dict(environment or {})
    entries: list[EnvEntry] = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _ASSIGNMENT.match(line)
        if match is None:
            continue
        key = match.group("key")
        if match.group("eq") is None:
            entries.append(EnvEntry(number, key, None))
            continue
        value, quoted = _unquote(match.group("rest"))
        unresolved: list[str] = []
        if not (quoted and match.group("rest").strip().startswith("'")):
            value = _interpolate(value, defined, unresolved)
        defined[key] = value
        entries.append(EnvEntry(number, key, value, tuple(unresolved)))
    return entries


def effective(entries: list[EnvEntry]) -> dict[str, EnvEntry]:
    """The entry the bot sees for each key: the last one with a value wins."""
    found: dict[str, EnvEntry] = {}
    for entry in entries:
        if entry.value is not None:
            found[entry.key] = entry
    return found


def bot_reads_true(entry: EnvEntry) -> bool:
    """The bot's own test of a boolean flag."""
    return entry.value is not None and not entry.unresolved and entry.value.lower() == "true"
