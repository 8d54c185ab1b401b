"""The pure parts of the profile-query check: the first keyword, the reading of a node dump,
and the rule a called function is judged by."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_botaudit.database.querysafety import (
    CalledFunction,
    first_keyword,
    function_refusal,
    keyword_refusal,
    tree_calls,
)

# from PostgreSQL 15 (debug_print_rewritten, debug_pretty_print off) for
#   SELECT count(*) FROM t WHERE ts > now() - interval '1 hour' AND (1, 2) < (3, 4)
DUMP = """({QUERY :commandType 1 :querySource 0 :canSetTag true :utilityStmt <>
:resultRelation 0 :hasAggs true :hasModifyingCTE false :hasForUpdate false :rtable
({RANGETBLENTRY :alias <> :eref {ALIAS :aliasname t :colnames ("id" "ts")} :rtekind 0
:relid 16384 :relkind r}) :jointree {FROMEXPR :fromlist ({RANGETBLREF :rtindex 1}) :quals
{BOOLEXPR :boolop and :args ({OPEXPR :opno 1324 :opfuncid 1157 :opresulttype 16 :args ({VAR
:varno 1} {OPEXPR :opno 1329 :opfuncid 1190 :args ({FUNCEXPR :funcid 1299 :funcresulttype
1184 :args <>} {CONST :consttype 1186 :constvalue 16 [ 0 -92 -109 -42 0 0 0 0 ]})})})
{ROWCOMPAREEXPR :rctype 1 :opnos (o 97 97) :opfamilies (o 1976 1976)})}} :targetList
({TARGETENTRY :expr {AGGREF :aggfnoid 2803 :aggtype 20} :resno 1 :resname count})
:windowClause ({WINDOWCLAUSE :startInRangeFunc 0 :endInRangeFunc 0}) :rowMarks <>})"""


def test_a_dump_is_read_for_every_call_by_its_oid() -> None:
    calls = tree_calls(DUMP)
    assert calls.functions == {1157, 1190, 1299, 2803}  # 0: no function
    assert calls.operators == {1324, 1329, 97}
    assert calls.commands == {1}
    assert calls.shape_problem() is None


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (":utilityStmt <>", ":utilityStmt ?"),
        (":commandType 1", ":commandType 4"),
        (":hasModifyingCTE false", ":hasModifyingCTE true"),
        (":rowMarks <>", ":rowMarks ({ROWMARKCLAUSE :rti 1})"),
        (":hasForUpdate false", ":hasForUpdate\ntrue"),
    ],
)
def test_a_tree_that_is_no_plain_read_says_so(change: str, problem: str) -> None:
    assert tree_calls(DUMP.replace(change, problem)).shape_problem() is not None


@given(st.text())
def test_text_the_query_carries_never_hides_a_call(text: str) -> None:
    """Names print as outToken writes them (blanks, parentheses, braces and backslashes
    escaped); whatever a column alias holds, the real calls are still all found."""
    escaped = "".join("\\" + c if c in " \n\t(){}\\" else c for c in text)
    dump = DUMP.replace(":resname count", f":resname {escaped or '<>'}")
    calls = tree_calls(dump)
    assert calls.functions >= {1157, 1190, 1299, 2803}
    assert calls.operators >= {1324, 1329, 97}


@pytest.mark.parametrize(
    ("sql", "keyword"),
    [
        ("select 1", "SELECT"),
        ("  (( WITH x AS (SELECT 1) SELECT * FROM x))", "WITH"),
        ("-- a comment\n/* one /* nested */ more */ commit", "COMMIT"),
        ("/* never closed", ""),
        ("", ""),
        ("$$x$$", "$"),
    ],
)
def test_the_first_keyword_is_found_past_comments_and_parentheses(sql: str, keyword: str) -> None:
    assert first_keyword(sql) == keyword


def test_only_select_and_with_may_start_a_profile_query() -> None:
    assert keyword_refusal("SELECT") is None
    assert keyword_refusal("WITH") is None
    assert keyword_refusal("COMMIT") == (
        "starts with COMMIT: transaction control, not a query; a profile query is one SELECT"
    )
    assert "a utility statement" in (keyword_refusal("COPY") or "")
    assert "a write" in (keyword_refusal("UPDATE") or "")
    assert (
        keyword_refusal("SELEC") == "starts with SELEC: not a query; a profile query is one SELECT"
    )


def _function(schema: str, name: str, volatility: str) -> CalledFunction:
    return CalledFunction(schema, name, f"{schema}.{name}()", volatility)


def test_a_function_is_judged_by_its_volatility_and_the_allow_list_of_pg_catalog() -> None:
    assert function_refusal(_function("pg_catalog", "now", "s")) is None
    assert function_refusal(_function("public", "anything", "i")) is None
    assert function_refusal(_function("pg_catalog", "clock_timestamp", "v")) is None
    assert function_refusal(_function("pg_catalog", "pg_notify", "v")) == (
        "pg_catalog.pg_notify(), which is VOLATILE"
    )
    # the allow-list names pg_catalog's readers, not a function of the same name elsewhere
    assert function_refusal(_function("public", "clock_timestamp", "v")) == (
        "public.clock_timestamp(), which is VOLATILE"
    )
    assert function_refusal(_function("pg_catalog", "txid_current", "s")) == (
        "pg_catalog.txid_current(), which assigns a transaction id"
    )
    assert function_refusal(CalledFunction("", "", "function oid 99", "")) == (
        "function oid 99, which is unknown to the catalog"
    )
