"""Loads the SQL files under sql/ and fills their psql-style variables from the profile."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib.resources.abc import Traversable

from ..bundled import bundled_dir

# `:"name"` becomes a quoted identifier and `:'name'` a quoted literal, exactly as psql does;
# `::type` casts are left alone.
_VARIABLE = re.compile(r"(?<![:\w]):(?P<quote>[\"'])(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P=quote)")


def sql_dir() -> Traversable:
    return bundled_dir("sql")


@cache
def load_sql(name: str) -> str:
    return sql_dir().joinpath(name).read_text("utf-8")


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

    return _VARIABLE.sub(substitute, sql)


def query(name: str, names: Mapping[str, str]) -> str:
    return render(load_sql(name), names)
