"""Untrusted text made safe for the output it lands in, one function per output kind. Symbols,
exchange names, error messages, event data and log lines are written by the bot and by
exchanges: every renderer of a kind goes through its function here."""

from __future__ import annotations

import html
import re

# C0 and C1 control characters and DEL, except tab; newlines are folded by the callers that
# need one line (a table cell), kept by those that print lines
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_NEWLINES = re.compile(r"\r\n|\r|\n")


def visible_controls(text: str) -> str:
    """Control characters (ESC, BEL, NUL, CSI ...) shown as ``\\x1b``, never interpreted."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def for_terminal(text: str) -> str:
    """A line for a terminal or a plain text file: no control sequence survives; a newline
    inside the text is shown as ``\\n`` so one item stays one line."""
    return visible_controls(_NEWLINES.sub(r"\\n", text))


def for_text_block(text: str) -> str:
    """Several lines for a terminal or a text file: newlines kept, other controls visible."""
    return "\n".join(visible_controls(line) for line in _NEWLINES.split(text))


def for_html(text: str) -> str:
    """Text for an HTML element or attribute: markup escaped, controls visible."""
    return html.escape(visible_controls(text), quote=True)


# what can start markup anywhere in a line (a link needs its brackets, so parentheses and
# "!" are harmless once those are escaped), and what can only at the line's start
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|<>~])")
_MARKDOWN_LEADING = re.compile(r"^(\s*)(?:([#+\-=])|(\d+)([.)]))")


def for_markdown(text: str) -> str:
    """Text for one Markdown line or table cell: HTML and Markdown syntax escaped, newlines
    folded to spaces, controls visible (a renderer must show it as the text it is). Only
    what could start markup is escaped, so the file stays readable as text."""
    folded = _NEWLINES.sub(" ", text)
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", visible_controls(folded.replace("&", "&amp;")))
    return _MARKDOWN_LEADING.sub(
        lambda m: f"{m[1]}\\{m[2]}" if m[2] else f"{m[1]}{m[3]}\\{m[4]}", escaped
    )
