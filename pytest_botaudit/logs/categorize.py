"""Which of the profile's log categories a message belongs to: the patterns indexed by the
literal text each requires, so most messages are ruled out by a substring test."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..config.profile import Profile

MAX_KNOWN_MESSAGES = 10_000  # categorized messages remembered (repeats skip the patterns)
# (category, the pattern's named groups, which pattern of the profile matched)
Match = tuple[str, Mapping[str, str | None], int]


_META = frozenset(".^$*+?{}[]|()\\")
# the characters an escape takes after its letter: \x27, \u00e9, \U0001f9df
_ESCAPE_TAIL = {"x": 2, "u": 4, "U": 8}


def required_literal(pattern: re.Pattern[str]) -> str | None:
    """A substring every match of ``pattern`` contains (the longest we can prove), or None.
    Testing ``literal in message`` first is ~10x cheaper than a regex search that fails."""
    text = pattern.pattern
    if pattern.flags & re.VERBOSE:
        return None
    runs: list[str] = []
    current: list[str] = []
    depth = 0
    position = 0
    while position < len(text):
        char = text[position]
        if char == "\\":
            following = text[position + 1 : position + 2]
            if following and not following.isalnum() and depth == 0:
                current.append(following)
            else:  # \d, \s, \b, \x27, \ufe0f ...: not a literal we can prove
                runs.append("".join(current))
                current = []
            position += 2 + _ESCAPE_TAIL.get(following, 0)
            if following == "N" and text[position : position + 1] == "{":
                position = text.find("}", position) + 1 or len(text)
            continue
        if char in "([":
            runs.append("".join(current))
            current = []
            depth += 1
            # a whole bracket expression or group is skipped
            closing = "]" if char == "[" else ")"
            nesting = 1
            position += 1
            while position < len(text) and nesting:
                if text[position] == "\\":
                    position += 2
                    continue
                if text[position] == char and char == "(":
                    nesting += 1
                elif text[position] == closing:
                    nesting -= 1
                position += 1
            depth -= 1
            if position < len(text) and text[position] in "?*{":
                position += 1
            continue
        if char == "|":  # a top-level alternative: no literal is required
            return None
        if char in "?*{":
            if current:
                current.pop()  # the quantified character is optional
            runs.append("".join(current))
            current = []
            if char == "{":
                position = text.find("}", position) + 1 or len(text)
                continue
        elif char == "+" or char in _META:
            runs.append("".join(current))
            current = []
        else:
            current.append(char)
        position += 1
    runs.append("".join(current))
    best = max(runs, key=len)
    return best if len(best) >= 3 else None


_ALTERNATIVES = re.compile(
    r"^(?:\(\?i\))?(?:\\b)?(?:\((?:\?:)?[\w\\.]+\)\?)?"  # (?i) \b and an optional literal group
    r"\((?:\?:|\?P<\w+>)(?P<body>[^()\[\]?*+{}^$]+)\)(?:\\b)?$"
)


def required_alternatives(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """For a pattern that is one group of literal alternatives (``\\b(?P<x>a|b|c)\\b``): the
    alternatives, one of which every match contains."""
    shape = _ALTERNATIVES.match(pattern.pattern)
    if shape is None:
        return None
    options = [re.sub(r"\\(.)", r"\1", option) for option in shape.group("body").split("|")]
    if any(len(option) < 3 or "\\" in option for option in options):
        return None
    return tuple(options)


class Categorizer:
    """``categorize(message, level)``: the categories it matches (the first pattern per
    category, in profile order) with their named groups, and the exchange it names. A category
    the profile restricts to some levels is tried only at those. Many messages repeat
    verbatim, so answers are remembered (bounded)."""

    def __init__(self, profile: Profile) -> None:
        self.exchange_pattern = profile.log_exchange_pattern
        self._levels = profile.log_levels
        self._flat: list[tuple[str, re.Pattern[str]]] = []
        self._always: set[int] = set()
        self._by_literal: dict[str, list[int]] = {}
        self._by_folded: dict[str, list[int]] = {}
        for category, patterns in profile.log_patterns.items():
            for pattern in patterns:
                index = len(self._flat)
                self._flat.append((category, pattern))
                literal = required_literal(pattern)
                options = (literal,) if literal is not None else required_alternatives(pattern)
                if options is None:
                    self._always.add(index)
                    continue
                for option in options:
                    if pattern.flags & re.IGNORECASE:
                        self._by_folded.setdefault(option.lower(), []).append(index)
                    else:
                        self._by_literal.setdefault(option, []).append(index)
        # the exchange pattern joins the same index as pattern -1 (searched when it may match)
        exchange = self.exchange_pattern
        exchange_options = required_alternatives(exchange) if exchange is not None else None
        self._exchange_always = exchange is not None and exchange_options is None
        for option in exchange_options or ():
            self._by_folded.setdefault(option.lower(), []).append(-1)
        self._known: dict[tuple[str, str | None], tuple[list[Match], str | None]] = {}

    def categorize(self, message: str, level: str | None = None) -> tuple[list[Match], str | None]:
        """``level`` None tries every category (a template whose level is not known)."""
        key = (message, level)
        found = self._known.get(key)
        if found is None:
            found = self._search(message, level)
            if len(self._known) >= MAX_KNOWN_MESSAGES:
                self._known.clear()  # bounded memory; the cache refills with what repeats
            self._known[key] = found
        return found

    def exchange_of(self, message: str) -> str | None:
        if self.exchange_pattern is None:
            return None
        named = self.exchange_pattern.search(message)
        return named.group("exchange").lower() if named else None

    def _search(self, message: str, level: str | None) -> tuple[list[Match], str | None]:
        matched: list[Match] = []
        levels = self._levels
        candidates = set(self._always)
        by_literal = self._by_literal
        for literal in [x for x in by_literal if x in message]:
            candidates.update(by_literal[literal])
        if self._by_folded:
            lowered = message.lower()
            by_folded = self._by_folded
            for literal in [x for x in by_folded if x in lowered]:
                candidates.update(by_folded[literal])
        done: set[str] = set()
        for index in sorted(candidates):  # profile order, first matching pattern per category
            if index < 0:
                continue
            category, pattern = self._flat[index]
            if category in done:
                continue
            allowed = levels.get(category)
            if level is not None and allowed is not None and level not in allowed:
                continue
            hit = pattern.search(message)
            if hit is None:
                continue
            done.add(category)
            matched.append((category, hit.groupdict(), index))
        exchange = None
        if self._exchange_always or -1 in candidates:
            exchange = self.exchange_of(message)
        return matched, exchange
