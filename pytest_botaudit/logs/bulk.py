"""The fast path compiled for a scan: what makes a line bulk and in which slot, told from the
line itself (the pattern) or from its canonical header's parts, and which bulk heads decide
their slot alone (those may become shapes found a block at a time)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .grammar import QUIET_LEVELS, bulk_combos, fast_path


@dataclass(frozen=True, slots=True)
class FastPath:
    """What may be counted unread: echoes of ``echo_logger`` and ``(category, prefix)`` lines."""

    echo_logger: str | None
    prefixes: tuple[tuple[str, str], ...]


# a bulk line: its timestamp, its slot, where its head ends, and an echo's event word
Found = tuple[bytes, int, int, bytes | None]


@dataclass(frozen=True, slots=True)
class Bulk:
    """``match``: the fast path's pattern (group ``lastindex`` is the slot). ``slots`` say what
    each group from 2 on counts; groups below ``echo_end`` are echoes (their text is the event
    word). When ``derive``, a canonical header's logger, level and word or prefix say the same
    as the pattern (``echo_levels``, ``prefixes``)."""

    match: Callable[[bytes], re.Match[bytes] | None]
    slots: list[tuple[str, str]]
    echo_end: int
    derive: bool
    echo_logger: bytes | None
    echo_levels: dict[bytes, int]
    prefixes: dict[bytes, list[tuple[bytes, int]]]  # per level, in the order the pattern tries
    _echo_head: bytes = b""  # ` - <echo logger> - `
    _combos: list[tuple[str, bytes]] = field(default_factory=list)  # per prefix slot

    @classmethod
    def of(cls, fast: FastPath) -> Bulk:
        pattern, slots = fast_path(fast.echo_logger, fast.prefixes)
        echo_end = 2 + sum(1 for category, _ in slots if not category)
        logger = fast.echo_logger.encode() if fast.echo_logger else b""
        combos = [(level, prefix.encode()) for _, level, prefix in bulk_combos(fast.prefixes)]
        prefixes: dict[bytes, list[tuple[bytes, int]]] = {}
        for n, (level, prefix) in enumerate(combos):
            prefixes.setdefault(level.encode(), []).append((prefix, echo_end + n))
        return cls(
            match=pattern.match,
            slots=slots,
            echo_end=echo_end,
            # an echo logger with a space in its name is no canonical header's logger
            derive=not any(char in b" \t\n\r\v\f" for char in logger),
            echo_logger=logger or None,
            echo_levels={level.encode(): 2 + n for n, level in enumerate(QUIET_LEVELS) if logger},
            prefixes=prefixes,
            _echo_head=b" - " + logger + b" - " if logger else b"",
            _combos=combos,
        )

    def of_header(
        self, raw: bytes, header: re.Match[bytes], parts: tuple[bytes, ...]
    ) -> Found | None:
        """Whether the line of this canonical ``header`` (its groups: ``parts``) is bulk:
        ``(stamp, slot, end of its head, event word)``, else None."""
        if not self.derive:
            return self.of_line(raw)
        stamp, logger, level, word = parts
        if word is not None and logger == self.echo_logger:
            slot = self.echo_levels.get(level, 0)
            if slot:
                return stamp, slot, header.start(4), word
        body = header.end(3) + 3
        for prefix, slot in self.prefixes.get(level, ()):
            if raw.startswith(prefix, body):
                return stamp, slot, body + len(prefix), None
        return None

    def of_line(self, raw: bytes) -> Found | None:
        """The same, told by the pattern (a line without a canonical header)."""
        match = self.match(raw)
        if match is None:
            return None
        slot = match.lastindex or 0
        if slot < self.echo_end:
            return match[1], slot, match.start(slot), match[slot]
        return match[1], slot, match.end(slot), None

    def decides(self, head: bytes, slot: int) -> bool:
        """Whether every line that starts with this bulk ``head`` (after the timestamp) is bulk
        of ``slot``: always for an echo's; for a prefix's, when no echo can start the same way
        and no prefix tried before it (at its level) extends it (the rest would choose)."""
        if slot < self.echo_end:
            return True
        echo = self._echo_head
        common = min(len(echo), len(head))
        if echo and head[:common] == echo[:common]:
            return False
        level, prefix = self._combos[slot - self.echo_end]
        return not any(
            other_level == level and other != prefix and other.startswith(prefix)
            for other_level, other in self._combos[: slot - self.echo_end]
        )
