"""Bounded caches of answers that depend on their key alone (a message's shape, its exchange
code): a log repeats its words, so most records ask what an earlier one already asked."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

Key = TypeVar("Key")
Value = TypeVar("Value")


class Memo(dict[Key, Value], Generic[Key, Value]):
    """A dict that forgets everything when full (the next records refill it with what repeats)
    and is never pickled with its owner: a part read on another process brings back its
    figures, not its cache."""

    __slots__ = ("limit",)

    def __init__(self, limit: int = 4096) -> None:
        super().__init__()
        self.limit = limit

    def keep(self, key: Key, value: Value) -> Value:
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.limit,))
