"""The exception hierarchy of pytest-botaudit, rooted in BotAuditError."""


class BotAuditError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(BotAuditError):
    """A setting, threshold or profile value is invalid; the message names value and source."""


class ProfileError(ConfigError):
    """The profile file is unreadable or does not describe a usable schema."""


class RecordError(ConfigError):
    """A snapshot file that is not one (binary, or records of the wrong shape)."""


class DatabaseUnavailable(BotAuditError):
    """The audited database cannot be reached (the message never contains a password)."""


class PostgresNotFound(BotAuditError):
    """No PostgreSQL server binaries exist on this machine for the embedded server."""


class EmbeddedPostgresError(BotAuditError):
    """The embedded PostgreSQL server failed to initialise or start."""


class ReadOnlyViolation(BotAuditError):
    """A statement tried to leave the read-only transaction the plugin opened for it."""


class QueryRefused(BotAuditError):
    """A profile query is not one read-only SELECT: it is never run (the message says why)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"profile query {name!r} refused: {reason}")
        self.name = name
        self.reason = reason


class WriteFailed(BotAuditError):
    """A file of the run could not be written (a full disk, a quota, a file size limit): what
    was collected is judged all the same, and the run's status is ``error`` with this reason."""

    def __init__(self, path: object, exc: OSError) -> None:
        super().__init__(f"cannot write {path}: {exc.strerror or exc}")
        self.path = path
