"""The audit's role, against the real server: pre-flight names each of its powers beyond
reading (attributes, inherited membership of the built-in roles that reach files, programs and
other sessions, CREATE, write grants), a WARN, or a FAIL with --audit-require-read-only-role."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.judging.preflight import role_read_only
from pytest_botaudit.judging.verdicts import Verdict

from ..conftest import as_role, reader


@pytest.mark.asyncio
async def test_the_role_check_names_every_power_and_the_strict_option_fails(
    database: str,
) -> None:
    profile = load_profile()
    superuser = await role_read_only(database, profile)
    assert superuser.verdict is Verdict.WARN
    for power in (
        "SUPERUSER",
        "member of pg_execute_server_program",
        "member of pg_write_server_files",
        "member of pg_read_server_files",
        "member of pg_signal_backend",
        "CREATE on schema monitoring",
        "DELETE/INSERT/TRUNCATE/UPDATE on monitoring.events",
    ):
        assert power in superuser.message
    assert "monitoring.events: INSERT" in superuser.evidence
    strict = await role_read_only(database, profile, require_read_only=True)
    assert strict.verdict is Verdict.FAIL
    assert strict.message.endswith("(--audit-require-read-only-role)")
    assert (await role_read_only(reader(database), profile, True)).verdict is Verdict.PASS


@pytest.mark.asyncio
async def test_an_inherited_power_and_a_create_grant_are_named(database: str) -> None:
    name = "auditor_" + uuid.uuid4().hex[:8]
    admin = await asyncpg.connect(database)
    await admin.execute(
        f"CREATE ROLE {name}_signals IN ROLE pg_signal_backend;"
        f"CREATE ROLE {name} LOGIN IN ROLE {name}_signals;"
        f"GRANT USAGE, CREATE ON SCHEMA monitoring TO {name};"
        f"GRANT SELECT, UPDATE ON monitoring.positions TO {name};"
    )
    try:
        found = await role_read_only(as_role(database, name), load_profile())
        assert found.evidence == (
            "member of pg_signal_backend",
            "CREATE on schema monitoring",
            "monitoring.positions: UPDATE",
        )
        assert found.message == (
            "WARN: the audit's role can do more than read: member of pg_signal_backend, "
            "CREATE on schema monitoring, UPDATE on monitoring.positions; "
            "audit with a SELECT-only role (README)"
        )
    finally:
        await admin.execute(
            f"REVOKE ALL ON SCHEMA monitoring FROM {name};"
            f"REVOKE ALL ON ALL TABLES IN SCHEMA monitoring FROM {name};"
            f"DROP ROLE {name}; DROP ROLE {name}_signals;"
        )
        await admin.close()
