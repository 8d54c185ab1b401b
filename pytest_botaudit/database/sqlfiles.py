"""Loads the SQL files under sql/ and fills their psql-style variables from the profile."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from importlib.resources.abc import Traversable
from pathlib import Path

from ..bundled import bundled_dir

# `:"name"` becomes a quoted identifier and `:'name'` a quoted literal, exactly as psql does;
# `::type` casts are left alone.
_VARIABLE = re.compile(r"(?<![:\w]):(?P<quote>[\"'])(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P=quote)")
# `:pos_opened_ts` (psql's unquoted form) is an SQL expression substituted as it is: only names
# ending in _ts, _ts_rule or _ts_local are such expressions (a timestamp column read as an
# instant, and an instant written as the column's kind of value)
_RAW_VARIABLE = re.compile(r"(?<![:\w]):(?P<name>[a-z_]+_ts(?:_rule|_local)?)\b")


def sql_dir() -> Traversable:
    return bundled_dir("sql")


@cache
def load_sql(name: str) -> str:
    return sql_dir().joinpath(name).read_text("utf-8")


# A rule several files share lives once under sql/fragments/ and is copied into each file that
# needs it between these markers (psql cannot include a file into the middle of a statement);
# `python -m pytest_botaudit.database.sqlfiles` rewrites the copies, a test checks them.
_INCLUDED = re.compile(
    r"^-- >>> (?P<name>fragments/\S+\.sql)\n(?P<body>.*?)^-- <<< (?P=name)\n",
    re.MULTILINE | re.DOTALL,
)


def included_fragments(text: str) -> list[tuple[str, str]]:
    """``(fragment name, the copy in text)`` for every marked copy of a fragment."""
    return [(m.group("name"), m.group("body")) for m in _INCLUDED.finditer(text)]


def with_fragments(text: str, fragment: Callable[[str], str]) -> str:
    """``text`` with every marked copy replaced by the fragment's current text."""

    def copy(match: re.Match[str]) -> str:
        name = match.group("name")
        body = fragment(name)
        return f"-- >>> {name}\n{body.rstrip()}\n-- <<< {name}\n"

    return _INCLUDED.sub(copy, text)


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def render(sql: str, names: Mapping[str, str]) -> str:
    """Substitute psql variables; an unknown variable is a bug in the SQL file, so it raises."""

    def substitute(match: re.Match[str]) -> str:
        value = names[match.group("name")]
        if match.group("quote") == '"':
            return quote_identifier(value)
        return quote_literal(value)

    expanded = _RAW_VARIABLE.sub(lambda m: names[m.group("name")], sql)
    return _VARIABLE.sub(substitute, expanded)


def query(name: str, names: Mapping[str, str]) -> str:
    return render(load_sql(name), names)


def _sync(root: Path) -> list[Path]:
    """Rewrite the fragment copies of every file under ``root``; the files it changed."""
    changed = []
    for path in sorted(root.rglob("*.sql")):
        text = path.read_text("utf-8")
        synced = with_fragments(text, lambda name: (root / name).read_text("utf-8"))
        if synced != text:
            path.write_text(synced, "utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":  # the maintainers' tool: copy sql/fragments/ into the files
    for changed in _sync(Path(str(sql_dir()))):
        print(f"updated {changed}")
