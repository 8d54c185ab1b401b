"""Pre-flight: what must hold before an audit is worth running (these run first)."""

import pytest

pytestmark = pytest.mark.preflight


def test_database_is_reachable(audit_preflight):
    audit_preflight.database()


def test_profile_tables_and_columns_exist(audit_preflight):
    audit_preflight.schema()


def test_profile_queries_only_read(audit_preflight):
    audit_preflight.queries()


def test_audit_role_can_only_read(audit_preflight):
    audit_preflight.role()


def test_timestamps_read_in_their_zone(audit_preflight):
    audit_preflight.timestamps()


def test_profile_knows_the_bots_words(audit_preflight):
    audit_preflight.vocabulary()


def test_bot_runs_on_testnet(audit_preflight):
    audit_preflight.testnet()


def test_disk_space_above_500mb(audit_preflight):
    audit_preflight.disk_space()


def test_log_file_readable_and_recently_written(audit_preflight):
    audit_preflight.log_file()
