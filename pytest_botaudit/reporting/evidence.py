"""Evidence as a reader wants it: lines of one error shape grouped with their count, paths
relative to the run folder, and at most ten shown with "and N more"."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

from ..logs.analyses.errors import shape_of
from ..record.folder import RunFolder

EVIDENCE_SHOWN = 10
_WHERE = re.compile(r"^(?P<path>/\S+?):(?P<line>\d+)\b:?\s*(?P<rest>.*)$")


def _relative(text: str, folder: RunFolder | None) -> tuple[str, str]:
    """(location relative to the run folder, the rest of the line) of an evidence line."""
    match = _WHERE.match(text)
    if match is None:
        return "", text
    path = match["path"]
    if folder is not None:
        path = os.path.relpath(path, folder.path)
    return f"{path}:{match['line']}", match["rest"]


def evidence_items(lines: Sequence[str], folder: RunFolder | None) -> list[str]:
    """Lines of one shape grouped with their count and first place; at most ten shown."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for line in lines:
        where, rest = _relative(line, folder)
        groups.setdefault(shape_of(rest) if where else line, []).append((where, rest))
    items = []
    for members in groups.values():
        where, rest = members[0]
        place = f"{where} " if where else ""
        count = (
            f" (×{len(members)}, first at {where})"
            if len(members) > 1 and where
            else (f" (×{len(members)})" if len(members) > 1 else "")
        )
        items.append(f"{place if len(members) == 1 else ''}{rest}{count}")
    if len(items) > EVIDENCE_SHOWN:
        items = [*items[:EVIDENCE_SHOWN], f"and {len(items) - EVIDENCE_SHOWN} more"]
    return items
