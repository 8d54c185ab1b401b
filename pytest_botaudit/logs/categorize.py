"""Which of the profile's log categories a message belongs to: the patterns indexed by the
literal text each requires, so most messages are ruled out by a substring test."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..config.log_fields import LEVEL_NAMES
from ..config.profile import Profile
from .memo import Memo

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


GRAM = 3  # literals are found by their first characters: one dict probe a message position
# A message's shape: its digits all "0". Literals are filed by their shape too, so a literal in
# a message is in its shape, and the patterns a shape may match hold for every message of it:
# the literal search runs once a shape (prices, ids and counts vary, the words do not).
_DIGITS = bytes.maketrans(b"123456789", b"000000000")


def shape_key(text: str) -> str:
    # through bytes: a bytes table translates in C, a str one character by character
    return text.encode("utf-8", "surrogatepass").translate(_DIGITS).decode("utf-8", "surrogatepass")


class _LiteralIndex:
    """Literals a message must contain, each with the patterns that require it, found in one
    pass over the message: a literal is filed under its first GRAM characters, so each
    position of the message is one dict probe and a ``startswith`` per literal filed there,
    not one substring search per literal of the profile."""

    __slots__ = ("by_start", "short")

    def __init__(self) -> None:
        self.by_start: dict[str, list[tuple[str, list[int]]]] = {}
        self.short: dict[str, list[int]] = {}  # shorter than GRAM: searched as they are

    def add(self, literal: str, index: int) -> None:
        if len(literal) < GRAM:
            self.short.setdefault(literal, []).append(index)
            return
        bucket = self.by_start.setdefault(literal[:GRAM], [])
        for known, indexes in bucket:
            if known == literal:
                indexes.append(index)
                return
        bucket.append((literal, [index]))

    def found(self, message: str, into: set[int]) -> None:
        by_start = self.by_start
        if by_start:
            get = by_start.get
            for position in range(len(message) - GRAM + 1):
                bucket = get(message[position : position + GRAM])
                if bucket is None:
                    continue
                for literal, indexes in bucket:
                    if message.startswith(literal, position):
                        into.update(indexes)
        for literal, indexes in self.short.items():
            if literal in message:
                into.update(indexes)


@dataclass(slots=True)
class _LevelIndex:
    """The patterns one level may match: those always tried, and those behind a literal."""

    always: set[int] = field(default_factory=set)
    literals: _LiteralIndex = field(default_factory=_LiteralIndex)
    folded: _LiteralIndex = field(default_factory=_LiteralIndex)


class Categorizer:
    """``categorize(message, level)``: the categories it matches (the first pattern per
    category, in profile order) with their named groups, and the exchange it names. A category
    the profile restricts to some levels is tried only at those (each level has an index of
    its own). Many messages repeat verbatim, so answers are remembered (bounded)."""

    def __init__(self, profile: Profile) -> None:
        self.exchange_pattern = profile.log_exchange_pattern
        self._flat: list[tuple[str, re.Pattern[str]]] = []
        # per pattern: the levels it is tried at (None: all), its literals (None: always
        # tried), whether they are matched case-folded; a level's index is built from these
        # when a record of that level first comes (a log uses few of them)
        self._filed: list[tuple[frozenset[str] | None, tuple[str, ...] | None, bool]] = []
        for category, patterns in profile.log_patterns.items():
            allowed = profile.log_levels.get(category)
            for pattern in patterns:
                self._flat.append((category, pattern))
                literal = required_literal(pattern)
                options = (literal,) if literal is not None else required_alternatives(pattern)
                self._filed.append((allowed, options, bool(pattern.flags & re.IGNORECASE)))
        # the exchange pattern joins the same index as pattern -1 (searched when it may match)
        exchange = self.exchange_pattern
        exchange_options = required_alternatives(exchange) if exchange is not None else None
        self._exchange_always = exchange is not None and exchange_options is None
        self._exchange_options = exchange_options or ()
        self._indexes: dict[str | None, _LevelIndex] = {}
        self._known: dict[tuple[str, str | None], tuple[list[Match], str | None]] = {}
        self._shapes: dict[tuple[str, str | None], list[int]] = {}  # shape -> its candidates
        self._named: Memo[str, str | None] = Memo()  # message -> the exchange it names

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
        try:
            return self._named[message]
        except KeyError:
            named = self.exchange_pattern.search(message)
            return self._named.keep(message, named.group("exchange").lower() if named else None)

    def _index(self, level: str | None) -> _LevelIndex:
        where = self._indexes.get(level)
        if where is not None:
            return where
        if level is not None and level not in LEVEL_NAMES:
            return self._index(None)
        where = _LevelIndex()
        for index, (allowed, options, folded) in enumerate(self._filed):
            if level is not None and allowed is not None and level not in allowed:
                continue
            if options is None:
                where.always.add(index)
                continue
            for option in options:
                if folded:
                    where.folded.add(shape_key(option.lower()), index)
                else:
                    where.literals.add(shape_key(option), index)
        for option in self._exchange_options:
            where.folded.add(shape_key(option.lower()), -1)
        self._indexes[level] = where
        return where

    def _candidates(self, message: str, level: str | None) -> list[int]:
        """The patterns (profile order) whose required literals the message's shape holds."""
        key = (shape_key(message), level)
        found = self._shapes.get(key)
        if found is None:
            where = self._index(level)
            candidates = set(where.always)
            where.literals.found(key[0], candidates)
            if where.folded.by_start or where.folded.short:
                where.folded.found(key[0].lower(), candidates)
            found = sorted(candidates)
            if len(self._shapes) >= MAX_KNOWN_MESSAGES:
                self._shapes.clear()
            self._shapes[key] = found
        return found

    def _search(self, message: str, level: str | None) -> tuple[list[Match], str | None]:
        matched: list[Match] = []
        candidates = self._candidates(message, level)
        done: set[str] = set()
        for index in candidates:  # profile order, first matching pattern per category
            if index < 0:
                continue
            category, pattern = self._flat[index]
            if category in done:
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


_SHARED: dict[int, tuple[Profile, Categorizer]] = {}


def categorizer_for(profile: Profile) -> Categorizer:
    """One Categorizer a profile (building its indexes costs tens of milliseconds; its answers
    depend on the message and the level only): shared by every analyzer of the process."""
    known = _SHARED.get(id(profile))
    if known is not None and known[0] is profile:
        return known[1]
    if len(_SHARED) >= 8:
        _SHARED.clear()
    made = Categorizer(profile)
    _SHARED[id(profile)] = (profile, made)
    return made
