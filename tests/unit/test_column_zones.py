"""The tick looks for a force-close a day either side of its window only where a rule reads
its moment in a zone other than its naive column's; hours suffice everywhere else."""

from __future__ import annotations

from dataclasses import replace

from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.config.profile_fields import ForceCloseRule
from pytest_botaudit.database.zones import ColumnZones

PROFILE = load_profile()  # its rules read closed_at in UTC (the bot's utcnow())


def test_rules_read_elsewhere_only_beside_a_naive_column_of_another_zone() -> None:
    assert {rule.zone for rule in PROFILE.force_close_rules} == {"UTC"}
    assert not ColumnZones("Asia/Dubai").rules_read_elsewhere(PROFILE)  # timestamptz columns
    assert not ColumnZones("UTC", {"closed_at": "UTC"}).rules_read_elsewhere(PROFILE)
    dubai = ColumnZones("Asia/Dubai", {"opened_at": "Asia/Dubai", "closed_at": "Asia/Dubai"})
    assert dubai.rules_read_elsewhere(PROFILE)
    assert dubai.sql_names(PROFILE)["force_zones_differ"] == "true"
    assert ColumnZones("UTC").sql_names(PROFILE)["force_zones_differ"] == "false"
    own_zone = replace(
        PROFILE,
        force_close_rules=(ForceCloseRule("a rule", "closed", "emergency: %", "closed_at"),),
    )
    assert not dubai.rules_read_elsewhere(own_zone)  # no zone of its own: the column's


def test_a_rule_in_the_database_zone_reads_the_servers() -> None:
    rule = ForceCloseRule("a rule", "closed", "emergency: %", "closed_at", "database")
    profile = replace(PROFILE, force_close_rules=(rule,))
    dubai = ColumnZones("Asia/Dubai", {"closed_at": "Asia/Dubai"})
    assert dubai.rule_zones(profile) == ["Asia/Dubai"]
    assert not dubai.rules_read_elsewhere(profile)
    assert ColumnZones("UTC", {"closed_at": "Asia/Dubai"}).rules_read_elsewhere(profile)
