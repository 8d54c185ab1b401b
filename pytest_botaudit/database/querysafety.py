"""Whether a profile query is safe to run every tick: one SELECT whose every call (including
those inside the views it reads, its operators, aggregates, casts and domains) the catalog
marks IMMUTABLE or STABLE, or is one of the few VOLATILE readers allowed by name. Decided on
the query's tree as PostgreSQL parsed and rewrote it, before the query ever runs."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .connection import ReadOnlySession
from .sqlfiles import load_sql

# VOLATILE functions of pg_catalog that only read: the clock, sizes, replication and lock
# state a monitoring query legitimately asks for. random() is not here: a metric measures.
ALLOWED_VOLATILE = frozenset(
    {
        "clock_timestamp",
        "timeofday",
        "pg_relation_size",
        "pg_total_relation_size",
        "pg_table_size",
        "pg_indexes_size",
        "pg_database_size",
        "pg_is_in_recovery",
        "pg_last_xact_replay_timestamp",
        "pg_last_wal_receive_lsn",
        "pg_last_wal_replay_lsn",
        "pg_current_wal_lsn",
        "pg_lock_status",
        "pg_blocking_pids",
    }
)
# STABLE in the catalog, yet they give the transaction an id (which the server then commits or
# aborts in its WAL): a side effect a reader must not have.
REFUSED_STABLE = frozenset({"txid_current", "pg_current_xact_id"})
VOLATILITY = {"i": "IMMUTABLE", "s": "STABLE", "v": "VOLATILE"}
QUERY_KEYWORDS = frozenset({"SELECT", "WITH"})
_TRANSACTION_CONTROL = frozenset(
    {"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE", "PREPARE"}
)
_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE"})
_UTILITIES = frozenset(
    {
        *("COPY", "SET", "RESET", "SHOW", "LISTEN", "UNLISTEN", "NOTIFY", "LOCK", "DO", "CALL"),
        *("VACUUM", "ANALYZE", "EXPLAIN", "EXECUTE", "DECLARE", "FETCH", "MOVE", "CLOSE"),
        *("DISCARD", "LOAD", "CHECKPOINT", "CLUSTER", "REINDEX", "REFRESH", "CREATE", "ALTER"),
        *("DROP", "GRANT", "REVOKE", "COMMENT", "SECURITY", "IMPORT", "DEALLOCATE"),
    }
)
CMD_SELECT = 1  # Query.commandType of a SELECT in every PostgreSQL version

# Fields of the node dump (src/backend/nodes/outfuncs.c) that name what a query calls. Text the
# query carries (constants, aliases) is printed as bytes or with its blanks escaped, so it can
# add a false match (a refusal), never hide a real one.
_FUNCTIONS = re.compile(
    r":(?:funcid|opfuncid|aggfnoid|winfnoid|startInRangeFunc|endInRangeFunc)\s+(\d+)"
)
_OPERATORS = re.compile(r":(?:opno|eqop|sortop)\s+(\d+)")
_OPERATOR_LISTS = re.compile(r":opnos\s+\(o((?:\s+\d+)*)\s*\)")
_TYPES = re.compile(r":resulttype\s+(\d+)")
_COMMANDS = re.compile(r":commandType\s+(\d+)")
_UTILITY = re.compile(r":utilityStmt\s+(?!<>)\S")  # printed as "?" (or a node) when set
_ROW_LOCKS = re.compile(r":hasForUpdate\s+true|:rowMarks\s+\(")
_MODIFYING_CTE = re.compile(r":hasModifyingCTE\s+true")


@dataclass(frozen=True, slots=True)
class TreeCalls:
    """What one node dump (a query tree, or a domain's CHECK expression) calls and is."""

    commands: frozenset[int]
    utility: bool
    locks_rows: bool
    modifies: bool
    functions: frozenset[int]
    operators: frozenset[int]
    types: frozenset[int]

    def shape_problem(self) -> str | None:
        """Why the tree is not a plain read (None for a SELECT reading without row locks)."""
        if self.utility:
            return "not a query: the server reads it as a utility statement (SELECT ... INTO)"
        if self.modifies or self.commands - {CMD_SELECT}:
            return "not a read: it (or one of its WITH parts) changes rows"
        if self.locks_rows:
            return "it locks rows (FOR UPDATE/SHARE), which would block the bot's writes"
        return None


def tree_calls(dump: str) -> TreeCalls:
    operators = _oids(_OPERATORS.findall(dump))
    for listed in _OPERATOR_LISTS.findall(dump):
        operators |= _oids(listed.split())
    return TreeCalls(
        commands=frozenset(int(n) for n in _COMMANDS.findall(dump)),
        utility=bool(_UTILITY.search(dump)),
        locks_rows=bool(_ROW_LOCKS.search(dump)),
        modifies=bool(_MODIFYING_CTE.search(dump)),
        functions=_oids(_FUNCTIONS.findall(dump)),
        operators=operators,
        types=_oids(_TYPES.findall(dump)),
    )


def _oids(numbers: Iterable[str]) -> frozenset[int]:
    return frozenset(int(n) for n in numbers if n != "0")  # 0: no function (InvalidOid)


@dataclass(frozen=True, slots=True)
class CalledFunction:
    """A function the query would run, as sql/called_functions.sql describes it."""

    schema: str
    name: str
    signature: str  # schema-qualified, quoted where needed: pg_catalog.pg_notify(text, text)
    volatility: str  # pg_proc.provolatile: i, s or v


def function_refusal(function: CalledFunction) -> str | None:
    """Why ``function`` may not run in a profile query (None: it only reads)."""
    builtin = function.schema == "pg_catalog"
    if builtin and function.name in REFUSED_STABLE:
        return f"{function.signature}, which assigns a transaction id"
    if function.volatility in ("i", "s"):
        return None
    if builtin and function.name in ALLOWED_VOLATILE:
        return None
    shown = VOLATILITY.get(function.volatility, "unknown to the catalog")
    return f"{function.signature}, which is {shown}"


def first_keyword(sql: str) -> str:
    """The statement's first word, upper-cased, past blanks, comments and parentheses."""
    position, length = 0, len(sql)
    while position < length:
        if sql[position].isspace() or sql[position] == "(":
            position += 1
        elif sql.startswith("--", position):
            end = sql.find("\n", position)
            position = length if end < 0 else end + 1
        elif sql.startswith("/*", position):
            position = _comment_end(sql, position)
        else:
            match = re.match(r"[A-Za-z_]+", sql[position:])
            return match.group(0).upper() if match else sql[position]
    return ""


def _comment_end(sql: str, position: int) -> int:
    """The index after the (nested, as in PostgreSQL) block comment opening at ``position``."""
    depth = 0
    while position < len(sql):
        if sql.startswith("/*", position):
            depth, position = depth + 1, position + 2
        elif sql.startswith("*/", position):
            depth, position = depth - 1, position + 2
            if depth == 0:
                return position
        else:
            position += 1
    return position


def keyword_refusal(keyword: str) -> str | None:
    """Why a statement starting with ``keyword`` is no profile query (None: it may be one)."""
    if keyword in QUERY_KEYWORDS:
        return None
    if not keyword:
        return "empty: a profile query is one SELECT"
    if keyword in _TRANSACTION_CONTROL:
        kind = "transaction control, not a query"
    elif keyword in _WRITES:
        kind = "a write, not a query"
    elif keyword in _UTILITIES:
        kind = "a utility statement, not a query"
    else:
        kind = "not a query"
    return f"starts with {keyword}: {kind}; a profile query is one SELECT"


async def query_refusal(session: ReadOnlySession, sql: str) -> str | None:
    """None when ``sql`` is one SELECT calling only readers, else why it is refused. The query
    is parsed and rewritten by the server, never planned nor run. A query that does not parse
    raises the server's error (there is nothing to run, and nothing to judge)."""
    refusal = keyword_refusal(first_keyword(sql))
    if refusal is not None:
        return refusal
    tree = await session.query_tree(sql)
    if tree is None:
        return "cannot be checked: the server sent no query tree (debug_print_rewritten)"
    calls = tree_calls(tree)
    problems = [problem] if (problem := calls.shape_problem()) else []
    functions, operators = set(calls.functions), set(calls.operators)
    for expression in await _domain_checks(session, calls.types):
        inner = tree_calls(expression)
        functions |= inner.functions
        operators |= inner.operators
    called = await _called_functions(session, functions, operators)
    refused = [reason for function in called if (reason := function_refusal(function))]
    if refused:
        problems.append("calls " + "; ".join(refused))
    return "; ".join(problems) or None


async def _domain_checks(session: ReadOnlySession, types: Iterable[int]) -> list[str]:
    """The CHECK expressions of the domains among ``types`` and of the domains they reach: a
    value cast to a domain runs them."""
    pending, seen, expressions = set(types), set[int](), []
    while pending:
        seen |= pending
        rows = await session.fetch(load_sql("domain_checks.sql"), sorted(pending))
        pending = set()
        for row in rows:
            expressions.append(row["expression"])
            pending |= tree_calls(row["expression"]).types - seen
    return expressions


async def _called_functions(
    session: ReadOnlySession, functions: set[int], operators: set[int]
) -> list[CalledFunction]:
    rows = await session.fetch(
        load_sql("called_functions.sql"), sorted(functions), sorted(operators)
    )
    found = [CalledFunction(r["schema"], r["name"], r["signature"], r["volatility"]) for r in rows]
    unknown = functions - {r["oid"] for r in rows}
    # an oid that names no function (dropped meanwhile): nothing vouches for it
    found += [CalledFunction("", "", f"function oid {oid}", "") for oid in sorted(unknown)]
    return found
