"""Loads the SQL files under sql/ and fills their psql-style variables from the profile."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

# `:"name"` becomes a quoted identifier and `:'name'` a quoted literal, exactly as psql does;
# `::type` casts are left alone.
_VARIABLE = re.compile(r"(?<![:\w]):(?P<quote>[\"'])(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P=quote)")


def bundled_dir(name: str) -> Traversable:
    """A top-level folder of the repository (sql/, audit_checks/): inside the package in an
    installed wheel, beside it in a source checkout or editable install."""
    packaged = resources.files(__package__).joinpath(name)
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / name


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
