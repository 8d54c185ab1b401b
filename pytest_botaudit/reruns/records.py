"""An audit as compare reads it: its suite properties and each check's verdict and value,
from the JUnit XML of any version that carries the properties, or a run folder's summary."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BotAuditError
from ..judging.verdicts import Direction, Kind, Threshold, Verdict, direction_of, safe_margin
from ..record.folder import RunFolder

PREFLIGHT = "preflight"
_THRESHOLD = re.compile(r"^\s*(<=|>=|<|>)\s*(-?[0-9.eE+-]+)\s*$")


class CompareError(BotAuditError):
    """A file compare cannot read as an audit (one line, exit 2)."""


def parse_threshold(text: str | None) -> Threshold | None:
    match = _THRESHOLD.match(text or "")
    return Threshold(match[1], float(match[2])) if match else None


@dataclass(frozen=True, slots=True)
class CheckRecord:
    """One check of a recorded audit; margin and direction are recomputed from the value,
    the thresholds and the kind, so files written before their meaning was fixed compare."""

    name: str
    kind: str  # good_indicator, warning_sign or preflight
    verdict: Verdict
    metric: str = ""
    title: str = ""
    value: float | None = None
    unit: str = ""
    good: Threshold | None = None
    warning: Threshold | None = None

    @property
    def label(self) -> str:
        return self.title or self.metric or self.name

    @property
    def threshold(self) -> Threshold | None:
        if self.kind == Kind.GOOD_INDICATOR.value:
            return self.good
        return self.warning if self.kind == Kind.WARNING_SIGN.value else None

    @property
    def direction(self) -> Direction | None:
        limit = self.threshold
        return direction_of(Kind(self.kind), limit) if limit is not None else None

    @property
    def margin(self) -> float | None:
        limit = self.threshold
        if limit is None or self.value is None:
            return None
        return safe_margin(Kind(self.kind), limit, self.value)

    @classmethod
    def from_properties(cls, name: str, props: Mapping[str, str]) -> CheckRecord:
        verdicts = {v.value: v for v in Verdict}
        verdict = verdicts.get(props.get("verdict", ""))
        if verdict is None:
            raise CompareError(f"check {name}: unknown verdict {props.get('verdict')!r}")
        raw = props.get("value", "")
        try:
            value = float(raw) if raw not in ("", None) else None
        except ValueError:
            raise CompareError(f"check {name}: value {raw!r} is not a number") from None
        return cls(
            name=name,
            kind=props.get("kind", PREFLIGHT),
            verdict=verdict,
            metric=props.get("metric", ""),
            title=props.get("title", ""),
            value=value,
            unit=props.get("unit", ""),
            good=parse_threshold(props.get("good_threshold")),
            warning=parse_threshold(props.get("warning_threshold")),
        )


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audit: where it was read from, its suite properties and its checks by name."""

    source: str
    properties: Mapping[str, str]
    checks: Mapping[str, CheckRecord]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def status(self) -> str | None:
        return self.properties.get("audit_status")

    @property
    def run_id(self) -> str:
        return self.properties.get("run_id") or Path(self.source).stem


def load_record(path: Path) -> AuditRecord:
    """An audit's JUnit XML, or a run folder (its summary JSON)."""
    if path.is_dir():
        return _from_folder(path)
    try:
        tree = ET.parse(path)
    except OSError as exc:
        raise CompareError(f"'{path}': cannot read it ({exc.strerror or exc})") from None
    except ET.ParseError as exc:
        raise CompareError(f"'{path}': not XML ({exc})") from None
    root = tree.getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    if root.tag not in ("testsuite", "testsuites") or not suites:
        raise CompareError(f"'{path}': not a JUnit XML file (root <{root.tag}>)")
    suite_props: dict[str, str] = {}
    checks: dict[str, CheckRecord] = {}
    plain = 0
    for suite in suites:
        for prop in suite.findall("properties/property"):
            suite_props[prop.get("name", "")] = prop.get("value", "")
        for case in suite.iter("testcase"):
            props = {
                p.get("name", ""): p.get("value", "") for p in case.findall("properties/property")
            }
            if "verdict" not in props:
                plain += 1
                continue
            name = case.get("name", "")
            checks[name] = CheckRecord.from_properties(name, props)
    if not checks:
        raise CompareError(
            f"'{path}': not an audit's JUnit XML: none of its {plain} test cases carries the "
            "botaudit properties (verdict, value, thresholds)"
        )
    notes = []
    if "botaudit_format" not in suite_props:
        notes.append(
            f"{path.name}: no suite properties (written by an earlier pytest-botaudit): run "
            "id, window, profile and thresholds are unknown, comparability is not checked"
        )
    return AuditRecord(str(path), suite_props, checks, tuple(notes))


def _from_folder(path: Path) -> AuditRecord:
    summaries = RunFolder(path).summary_files()
    if not summaries:
        raise CompareError(f"'{path}': no monitoring_report_*.json in this run folder")
    try:
        data: Any = json.loads(summaries[-1].read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise CompareError(f"'{summaries[-1]}': not a readable summary ({exc})") from None
    verdicts = data.get("verdicts") if isinstance(data, dict) else None
    if not isinstance(verdicts, list):
        raise CompareError(
            f"'{summaries[-1]}': no verdicts (a summary written before they were recorded)"
        )
    checks = {}
    for number, entry in enumerate(verdicts, 1):
        try:
            props = {str(k): "" if v is None else str(v) for k, v in entry.items()}
            if entry.get("value") is not None:
                props["value"] = repr(float(entry["value"]))
            checks[props["name"]] = CheckRecord.from_properties(props["name"], props)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise CompareError(
                f"'{summaries[-1]}': verdict {number} of the wrong shape "
                f"({type(exc).__name__}: {exc})"
            ) from None
    identity = data.get("identity")
    identity = identity if isinstance(identity, dict) else {}
    return AuditRecord(str(path), {str(k): str(v) for k, v in identity.items()}, checks)
