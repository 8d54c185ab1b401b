"""Pre-flight checks run before any waiting: database, schema, testnet flags, disk, log file."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..config.botenv import bot_reads_true, effective, parse_env
from ..config.profile import Profile
from ..database.connection import Target, connect
from ..database.queries import AuditDatabase
from ..errors import DatabaseUnavailable
from ..fileio import NotARegularFile, read_regular_bytes
from ..logs.reader import check_compressed, rotated_set
from .verdicts import Verdict

MIN_FREE_MB = 500.0
LOG_FRESH_SECONDS = 15 * 60.0


@dataclass(frozen=True, slots=True)
class PreflightResult:
    name: str
    verdict: Verdict
    message: str
    evidence: tuple[str, ...] = ()

    def properties(self) -> list[tuple[str, str]]:
        return [
            ("metric", f"preflight_{self.name}"),
            ("verdict", self.verdict.value),
            ("kind", "preflight"),
            ("message", self.message.split("\n", 1)[0]),
        ]


MAX_ENV_BYTES = 2**20  # a bot's .env is a few kB; anything bigger is not one
_API_KEY = re.compile(r"^(?P<exchange>[A-Z][A-Z0-9]*)_API_KEY$")


def testnet_flags(env_file: Path) -> PreflightResult:
    """The bot must trade on testnet: every ``*_TESTNET`` flag of its .env true as the bot
    reads it (only ``true``, any case), and one for each exchange whose API key it holds (a
    flag the bot does not find defaults to the live exchange). Values of secret keys are
    never shown."""
    try:
        text = read_regular_bytes(env_file, MAX_ENV_BYTES).decode("utf-8", "replace")
    except NotARegularFile as exc:
        return PreflightResult("testnet", Verdict.NO_DATA, f"NO-DATA: {exc} (--audit-env-file)")
    entries = effective(parse_env(text))
    flags = {key: e for key, e in entries.items() if key.upper().endswith("_TESTNET")}
    evidence = tuple(f"{env_file}:{e.line}: {e.shown()}" for e in flags.values())
    problems = [
        f"{e.shown()} is not true as the bot reads it (only 'true')"
        + (f"; ${{{', '.join(e.unresolved)}}} is not defined in the file" if e.unresolved else "")
        for e in flags.values()
        if not bot_reads_true(e)
    ]
    for key, entry in entries.items():
        match = _API_KEY.match(key.upper())
        if (
            match
            and entry.value
            and f"{match['exchange']}_TESTNET" not in {k.upper() for k in flags}
        ):
            problems.append(
                f"{key} is set but {match['exchange']}_TESTNET is not: the bot defaults to "
                "the live exchange"
            )
    if not flags and not problems:
        problems.append("no *_TESTNET flag: the bot defaults to the live exchange")
    if problems:
        return PreflightResult(
            "testnet",
            Verdict.FAIL,
            f"FAIL: the bot may trade on a live exchange ({env_file}): {'; '.join(problems)}",
            evidence,
        )
    return PreflightResult(
        "testnet",
        Verdict.PASS,
        f"PASS: {len(flags)} testnet flag{'s' if len(flags) != 1 else ''} true as the bot "
        "reads them",
        evidence,
    )


def disk_space(out_dir: Path, min_free_mb: float = MIN_FREE_MB) -> PreflightResult:
    target = out_dir if out_dir.exists() else out_dir.parent
    while not target.exists() and target != target.parent:
        target = target.parent
    free_mb = shutil.disk_usage(target).free / 2**20
    verdict = Verdict.PASS if free_mb > min_free_mb else Verdict.FAIL
    return PreflightResult(
        "disk_space",
        verdict,
        f"{verdict.value}: {free_mb:,.0f} MB free in {target} (needs > {min_free_mb:g} MB)",
    )


def log_files(
    paths: Sequence[Path],
    fresh_seconds: float | None = LOG_FRESH_SECONDS,
    now: float | None = None,
) -> PreflightResult:
    """Each log readable and written recently (a live audit of a silent log is meaningless)."""
    if not paths:  # the audit goes on: the log-based checks say NO-DATA with this reason
        return PreflightResult(
            "log_file",
            Verdict.WARN,
            "WARN: no bot log given (--audit-log): the checks that read the log will be NO-DATA",
        )
    moment = time.time() if now is None else now
    problems: list[str] = []
    evidence: list[str] = []
    for path in paths:
        try:
            with path.open("rb") as handle:
                handle.read(1)
            age = moment - path.stat().st_mtime
        except OSError as exc:
            problems.append(f"{path}: {exc.strerror}")
            continue
        evidence.append(f"{path}: last written {age:.0f} s ago")
        if fresh_seconds is not None and age > fresh_seconds:
            problems.append(f"{path}: not written for {age / 60:.0f} min")
    if problems:
        return PreflightResult(
            "log_file", Verdict.FAIL, "FAIL: " + "; ".join(problems), tuple(evidence)
        )
    damaged = [
        note
        for path in paths
        for file in rotated_set(path)
        if file.suffix == ".gz" and (note := check_compressed(file)) is not None
    ]
    if damaged:  # the audit goes on: the analysis reads each file up to its damage
        return PreflightResult(
            "log_file",
            Verdict.WARN,
            f"WARN: {len(damaged)} rotated log file(s) damaged; read up to the damage",
            (*evidence, *damaged),
        )
    return PreflightResult(
        "log_file",
        Verdict.PASS,
        f"PASS: {len(paths)} log file(s) readable"
        + (f" and written in the last {fresh_seconds / 60:g} min" if fresh_seconds else ""),
        tuple(evidence),
    )


async def inspect(
    dsn: Target | str | None,
    profile: Profile,
    name: str,
    look: Callable[[AuditDatabase], Awaitable[PreflightResult]],
) -> PreflightResult:
    """Connect read-only, look, disconnect; an unreachable database FAILs the check."""
    try:
        session = await connect(dsn)
    except DatabaseUnavailable as exc:
        return PreflightResult(name, Verdict.FAIL, f"FAIL: {exc}")
    try:
        return await look(await AuditDatabase.open(session, profile))
    finally:
        await session.close()


async def database_reachable(dsn: Target | str | None, profile: Profile) -> PreflightResult:
    async def look(database: AuditDatabase) -> PreflightResult:
        info = await database.server_info()
        evidence = (
            info.version,
            f"round trip {info.round_trip_ms:g} ms",
            f"session read-only: {info.read_only}",
            "read replica" if info.in_recovery else "primary",
        )
        if not info.read_only:
            return PreflightResult(
                "database", Verdict.FAIL, "FAIL: the session is not read-only", evidence
            )
        return PreflightResult(
            "database", Verdict.PASS, "PASS: database reachable, read-only session", evidence
        )

    return await inspect(dsn, profile, "database", look)


async def role_read_only(
    dsn: Target | str | None, profile: Profile, require_read_only: bool = False
) -> PreflightResult:
    """Each power of the audit's role beyond reading, by name. A WARN: every statement runs
    read-only and every profile query is checked anyway, but a SELECT-only role is the safe
    set-up; a FAIL (the audit does not start) with --audit-require-read-only-role."""

    async def look(database: AuditDatabase) -> PreflightResult:
        powers = await database.role_powers()
        if not powers:
            return PreflightResult("role", Verdict.PASS, "PASS: the audit's role can only read")
        verdict = Verdict.FAIL if require_read_only else Verdict.WARN
        return PreflightResult(
            "role",
            verdict,
            f"{verdict.value}: the audit's role can do more than read: {_powers(powers)}; "
            "audit with a SELECT-only role (README)"
            + (" (--audit-require-read-only-role)" if require_read_only else ""),
            tuple(powers),
        )

    return await inspect(dsn, profile, "role", look)


def _powers(powers: Sequence[str]) -> str:
    """``SUPERUSER, member of pg_signal_backend, INSERT/UPDATE on s.t``: grants by table."""
    named: list[str] = []
    grants: dict[str, list[str]] = {}
    for power in powers:
        table, grant, privilege = power.partition(": ")
        if grant:
            grants.setdefault(table, []).append(privilege)
        else:
            named.append(power)
    return ", ".join([*named, *(f"{'/'.join(p)} on {table}" for table, p in grants.items())])


async def profile_queries_read_only(dsn: Target | str | None, profile: Profile) -> PreflightResult:
    """Each profile query is one SELECT whose every call only reads (database/querysafety.py);
    one that is not is refused by name and never runs, so the audit does not start."""
    if not profile.queries:
        return PreflightResult("queries", Verdict.PASS, "PASS: the profile has no queries")

    async def look(database: AuditDatabase) -> PreflightResult:
        vettings = await database.vet_profile_queries()
        evidence = tuple(v.describe() for v in vettings)
        refused = [f"{v.name} ({v.refusal})" for v in vettings if v.refusal]
        if refused:
            return PreflightResult(
                "queries",
                Verdict.FAIL,
                f"FAIL: profile queries refused, never run: {'; '.join(refused)}",
                evidence,
            )
        return PreflightResult(
            "queries",
            Verdict.PASS,
            f"PASS: {len(vettings)} profile queries, each one SELECT calling only IMMUTABLE or "
            "STABLE functions or allowed readers",
            evidence,
        )

    return await inspect(dsn, profile, "queries", look)


async def schema_present(dsn: Target | str | None, profile: Profile) -> PreflightResult:
    async def look(database: AuditDatabase) -> PreflightResult:
        missing = await database.missing_columns()
        if missing:
            return PreflightResult(
                "schema",
                Verdict.FAIL,
                f"FAIL: the profile needs what the database lacks: {', '.join(missing)}",
                tuple(missing),
            )
        broken = await database.failing_profile_queries()
        if broken:
            return PreflightResult(
                "schema",
                Verdict.FAIL,
                f"FAIL: the profile's queries fail (each tick would be a gap): "
                f"{', '.join(name for name, _ in broken)}",
                tuple(f"query {name}: {error}" for name, error in broken),
            )
        tables = ", ".join(f"{profile.schema}.{t}" for t in profile.tables.values())
        return PreflightResult(
            "schema", Verdict.PASS, f"PASS: every table and column of the profile exists ({tables})"
        )

    return await inspect(dsn, profile, "schema", look)
