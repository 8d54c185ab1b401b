"""A log call's message as a template: its literal text and placeholders, and a message it
could write (each placeholder filled with a value of the kind its expression names)."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LogTemplate:
    """One logging call: its level, logger name and message, the formatted parts shown as
    ``{expression}``. ``parts`` alternates literal text and placeholders (None literal = a
    placeholder at that position)."""

    where: str
    level: str
    logger: str
    parts: tuple[tuple[str, bool], ...]  # (text, is_placeholder)

    @property
    def text(self) -> str:
        return "".join("{" + t + "}" if hole else t for t, hole in self.parts)

    @property
    def placeholders(self) -> tuple[str, ...]:
        return tuple(t for t, hole in self.parts if hole)

    def sample(self) -> str:
        """A message this call could write: each placeholder filled with a value of the kind
        its expression names (a symbol, a number, a count, an error text)."""
        return "".join(sample_value(t) if hole else t for t, hole in self.parts)


_WORDS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def sample_value(expression: str) -> str:
    """A plausible value for a placeholder, from the words of its expression (its last name
    says what it holds: ``ts.symbol``, ``result['entry_price']``, ``len(zombies)``)."""
    fallback = re.search(r"\bor\s+(['\"])(?P<text>[^'\"]*)\1\s*$", expression)
    if fallback:  # `name or 'unnamed'`: the text it falls back to
        return fallback.group("text")
    whole = expression.lower()
    names = _WORDS.findall(whole)
    key = names[-1] if names else whole
    if whole.startswith("len("):
        return "3"
    if key == "emoji":
        return "✅"
    if key == "reason":
        return "stop_loss"
    if key == "__name__":
        return "func"
    if any(w in key for w in ("symbol", "sym", "pair", "ticker", "coin")):
        return "BTCUSDT"
    if "exchange" in key:
        return "binance"
    if key in ("side", "direction", "position_side"):
        return "long"
    if "method" in key or key in ("via", "order_type"):
        return "edit_order"
    if key.endswith("name") or "stream" in key:
        return "stream"
    if any(w in key for w in ("count", "total", "num", "attempt", "retries", "retry")):
        return "3"
    if key in ("n", "i", "k", "idx", "index") or key == "id" or key.endswith(("_n", "_id")):
        return "3"
    numeric = (
        "price", "qty", "quantity", "amount", "pnl", "percent", "pct", "ratio", "ms", "time",
        "duration", "elapsed", "age", "sec", "delay", "wait", "size", "balance", "value",
        "diff", "distance", "leverage", "hours", "limit", "rate", "margin", "notional", "stop",
        "profit", "improvement", "drift", "spread", "timeout", "interval", "threshold",
    )  # fmt: skip
    if any(w in key for w in numeric):
        return "1.5"
    return "some error"


def message_parts(
    node: ast.expr, local: Mapping[str, ast.expr] | None = None
) -> Iterator[tuple[str, bool]]:
    """The literal text and placeholders of a message expression; a placeholder that is a
    local variable holding one string (``local``) is that string's parts."""
    local = local or {}
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value, False
    elif isinstance(node, ast.JoinedStr):
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                yield value.value, False
            elif isinstance(value, ast.FormattedValue):
                inner = value.value
                if isinstance(inner, ast.Name) and inner.id in local and value.format_spec is None:
                    yield from message_parts(local[inner.id])  # one level: its own names stay holes
                else:
                    yield ast.unparse(inner), True
    elif isinstance(node, ast.Name) and node.id in local:
        yield from message_parts(local[node.id])
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        yield from message_parts(node.left, local)
        yield from message_parts(node.right, local)
    elif (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Mod)
        and isinstance(node.left, ast.Constant)
        and isinstance(node.left.value, str)
    ):
        yield from percent_parts(node.left.value, node.right)
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
        and isinstance(node.func.value.value, str)
    ):
        yield from _format_parts(node.func.value.value)
    else:
        yield ast.unparse(node), True


def percent_parts(text: str, values: ast.expr) -> Iterator[tuple[str, bool]]:
    items = values.elts if isinstance(values, ast.Tuple) else [values]
    names = [ast.unparse(item) for item in items]
    pieces = text.split("%")
    yield pieces[0], False
    index = 0
    for piece in pieces[1:]:
        if not piece:
            yield "%", False
            continue
        spec_end = next((i for i, c in enumerate(piece) if c.isalpha()), 0) + 1
        yield (names[index] if index < len(names) else "value"), True
        index += 1
        yield piece[spec_end:], False


def _format_parts(text: str) -> Iterator[tuple[str, bool]]:
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError:  # not a valid format string: its text as written
        yield text, False
        return
    for literal, name, _spec, _conversion in fields:
        if literal:
            yield literal, False
        if name is not None:
            yield name or "value", True


def merged(parts: Iterable[tuple[str, bool]]) -> Iterator[tuple[str, bool]]:
    """Adjacent literals joined, so a template reads as one text."""
    literal = ""
    for text, hole in parts:
        if hole:
            if literal:
                yield literal, False
                literal = ""
            yield text, True
        else:
            literal += text
    if literal:
        yield literal, False
