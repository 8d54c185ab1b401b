"""One HTML table of plain cells, every cell through ``for_html``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..escape import for_html
from .dbtext import _cell


def html_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], id_: str = "") -> str:
    head = "".join(f"<th>{for_html(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{for_html(_cell(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    ident = f' id="{id_}"' if id_ else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
