"""Registries, not reflection: every catalogue entry has its implementation and back, and every
name the code relies on is a declared role of the profile."""

from __future__ import annotations

import dataclasses
import tomllib

import pytest

from pytest_botaudit.collection.alerts import seed_rules
from pytest_botaudit.config.options import OPTIONS, command_line
from pytest_botaudit.config.profile import load_profile, parse_profile
from pytest_botaudit.config.roles import COUNTER_ROLES, LATENCY_ROLES, LOG_ROLES
from pytest_botaudit.demo.scenarios import SCENARIOS, build_plan, tuned
from pytest_botaudit.demo.simulator import ACTIONS
from pytest_botaudit.errors import ProfileError
from pytest_botaudit.judging.catalogue import METRICS
from pytest_botaudit.judging.measures import MEASURERS
from pytest_botaudit.judging.sampling import SAMPLERS, UNSAMPLED
from pytest_botaudit.logs.analyses.lifecycle import Lifecycle
from pytest_botaudit.logs.analyses.stoploss import StopLoss
from pytest_botaudit.logs.analyses.timing import Timing
from pytest_botaudit.logs.analyses.trailing import Trailing
from pytest_botaudit.logs.analyses.websocket import WebSocket
from pytest_botaudit.record.model import GAUGES

from ..conftest import REPO

DEFAULT_TOML = REPO / "pytest_botaudit" / "config" / "profiles" / "default.toml"


def test_every_metric_has_a_measurer_and_every_measurer_a_metric() -> None:
    assert set(MEASURERS) == set(METRICS)


def test_every_metric_has_a_noise_model_or_says_why_not() -> None:
    assert set(SAMPLERS) | set(UNSAMPLED) == set(METRICS)
    assert not set(SAMPLERS) & set(UNSAMPLED)


def test_every_planned_action_has_a_handler_and_every_handler_is_planned() -> None:
    # the scenarios, and the knob no scenario sets by default (a rerun's new error type)
    scenarios = [*SCENARIOS.values(), tuned("steady", novel_error=True)]
    planned = {
        action.kind for scenario in scenarios for action in build_plan(scenario, 600.0, seed=3)
    }
    assert planned == set(ACTIONS)


def test_the_analyses_read_only_declared_log_roles() -> None:
    for analysis in (Lifecycle, StopLoss, Trailing, WebSocket, Timing):
        assert analysis.categories <= set(LOG_ROLES), analysis.__name__


def test_the_alert_rules_read_only_gauges_and_declared_counters() -> None:
    for rule in seed_rules():
        assert rule.metric in set(COUNTER_ROLES) | set(GAUGES), rule.rule_id


def test_the_default_profile_defines_every_role() -> None:
    profile = load_profile()
    assert set(COUNTER_ROLES) <= {c.name for c in profile.counters}
    assert set(LATENCY_ROLES) <= {spec.name for spec in profile.latencies}
    assert set(LOG_ROLES) <= set(profile.log_patterns)


@pytest.mark.parametrize(
    ("table", "key", "message"),
    [
        ("counters", "zombie_orders", "counters.zombie_orders: missing: the zombie_orders check"),
        ("latencies", "api_response_ms", "latencies.api_response_ms: missing: the api_resp"),
        ("patterns", "sl_missing", "log.patterns.sl_missing: missing: the stop-loss analysis"),
    ],
)
def test_a_profile_without_a_role_is_a_pointed_error(table: str, key: str, message: str) -> None:
    data = tomllib.loads(DEFAULT_TOML.read_text("utf-8"))
    owner = data["log"]["patterns"] if table == "patterns" else data[table]
    del owner[key]
    with pytest.raises(ProfileError, match=f"profile custom.toml: {message}"):
        parse_profile(data, "custom.toml")


def test_an_empty_log_category_declares_a_bot_that_never_logs_it() -> None:
    data = tomllib.loads(DEFAULT_TOML.read_text("utf-8"))
    data["log"]["patterns"]["ts_emergency_update"] = []
    assert parse_profile(data, "custom.toml").log_patterns["ts_emergency_update"] == ()


def test_the_command_line_is_spelled_from_the_option_table() -> None:
    arguments = command_line({"duration": 90.0, "log": ["a.log", "b.log"], "strict": True})
    assert arguments == [
        "--audit-duration=90s",
        "--audit-log=a.log",
        "--audit-log=b.log",
        "--audit-strict",
    ]
    assert command_line({"strict": False, "dsn": None}) == []
    with pytest.raises(KeyError, match="no audit option 'durations'"):
        command_line({"durations": 1})
    assert {f.name for f in dataclasses.fields(OPTIONS[0])} >= {"name", "help"}
