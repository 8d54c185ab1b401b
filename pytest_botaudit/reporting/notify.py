"""Notifications through Apprise (Telegram, Slack, Discord, e-mail, a webhook): the operator
hears where they are about CRITICAL incidents, outages, crashes and the end of an audit. Sent
on a thread of their own with a timeout: a slow or failing target never slows an audit."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..record.model import Gap, Incident, Severity

log = logging.getLogger(__name__)
SEND_TIMEOUT = 10.0  # seconds one message may take
DRAIN_TIMEOUT = 15.0  # seconds the end of a session waits for messages still queued


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Apprise loads the deprecated imghdr module along the way: not the user's warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def _apprise() -> Any:
    try:
        with _quiet():
            import apprise
    except ImportError:  # the notify extra is optional
        raise ConfigError(
            "--audit-notify needs Apprise: pip install 'pytest-botaudit[notify]'"
        ) from None
    return apprise


def shown(url: str) -> str:
    """A notification URL as it may be printed: tokens hidden by Apprise's privacy view."""
    try:
        with _quiet():
            plugin = _apprise().Apprise.instantiate(url)
    except ConfigError:
        plugin = None
    if not plugin:
        return url.split("://", 1)[0] + "://***"
    return str(plugin.url(privacy=True)).split("?", 1)[0]


def check_urls(urls: Sequence[str], origin: str) -> None:
    """Every URL Apprise understands, or a one-line error naming it (privacy view)."""
    apprise = _apprise()
    for url in urls:
        with _quiet():
            known = apprise.Apprise().add(url)
        if not known:
            raise ConfigError(f"{origin}: '{shown(url)}' is not a notification URL Apprise knows")


@dataclass(slots=True)
class _Message:
    title: str
    body: str
    kind: str  # "info", "success", "warning", "failure"


class Notifier:
    """Queues messages and sends them from its own thread; counts, per target, what was sent
    and what failed."""

    def __init__(self, urls: Sequence[str], gap_ticks: int = 3) -> None:
        apprise = _apprise()
        self._targets: list[tuple[str, Any]] = []  # one each, so each failure is its own
        for url in urls:
            target = apprise.Apprise()
            with _quiet():
                target.add(url)
            self._targets.append((shown(url), target))
        self.gap_ticks = gap_ticks
        self.sent = 0
        self.failed = 0
        self._gaps_in_a_row = 0
        self._queue: queue.Queue[_Message | None] = queue.Queue()
        self._thread = threading.Thread(target=self._send_all, name="botaudit-notify", daemon=True)
        self._thread.start()

    # -- what is worth a message ------------------------------------------------------------

    def incident_opened(self, incident: Incident) -> None:
        if incident.severity is Severity.CRITICAL:
            self._post("CRITICAL incident opened", incident.message, "failure")

    def incident_resolved(self, incident: Incident) -> None:
        if incident.severity is Severity.CRITICAL:
            self._post(
                "CRITICAL incident resolved",
                f"{incident.message}: {incident.count} ticks, peak {incident.peak:g}",
                "success",
            )

    def tick(self, item: object) -> None:
        """A database unreachable for ``gap_ticks`` ticks in a row is said once."""
        if not isinstance(item, Gap):
            self._gaps_in_a_row = 0
            return
        self._gaps_in_a_row += 1
        if self._gaps_in_a_row == self.gap_ticks:
            self._post(
                "Database unreachable",
                f"{self.gap_ticks} ticks in a row without a snapshot: {item.reason}",
                "warning",
            )

    def preflight_failed(self, reasons: Sequence[str]) -> None:
        self._post("Pre-flight failed: the audit did not start", "; ".join(reasons), "failure")

    def crashed(self, error: str) -> None:
        self._post("The audit could not run", error, "failure")

    def finished(self, overall: str, summary: str) -> None:
        kind = {"GREEN": "success", "YELLOW": "warning"}.get(overall, "failure")
        self._post(f"Audit finished: {overall}", summary, kind)

    # -- sending ------------------------------------------------------------------------------

    def close(self) -> None:
        """Send what is queued (waiting at most DRAIN_TIMEOUT), then stop the thread."""
        self._queue.put(None)
        self._thread.join(DRAIN_TIMEOUT)

    def _post(self, title: str, body: str, kind: str) -> None:
        self._queue.put(_Message(f"botaudit: {title}", body, kind))

    def _send_all(self) -> None:
        while (message := self._queue.get()) is not None:
            for name, target in self._targets:
                try:
                    with _quiet():
                        ok = target.notify(
                            body=message.body,
                            title=message.title,
                            notify_type=message.kind,
                            timeout=SEND_TIMEOUT,
                        )
                except Exception:  # a notification never stops the audit; it is counted
                    log.exception("notification to %s failed: %s", name, message.title)
                    ok = False
                if ok:
                    self.sent += 1
                else:
                    self.failed += 1
                    log.warning("notification to %s not delivered: %s", name, message.title)
