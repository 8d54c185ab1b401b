"""An audit as compare reads it: its suite properties, each check's verdict, value and sample,
and its message shapes, from the JUnit XML of any version that carries the properties, or a
run folder (its summary JSON and shapes.json)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BotAuditError
from ..fileio import NotARegularFile, read_regular_bytes
from ..judging.sample import Sample
from ..judging.verdicts import Direction, Kind, Threshold, Verdict, direction_of, safe_margin
from ..record.folder import AuditDir, RunFolder
from ..record.shapes import RunShapes, read_shapes

PREFLIGHT = "preflight"
# an audit's JUnit XML is some kilobytes, its summary JSON at most a few megabytes: a bigger
# file is not one (and is never read whole into memory)
MAX_RECORD_BYTES = 64 * 2**20
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
    sample: Sample | None = None

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
        try:
            sample = Sample.from_properties(props)
        except ValueError as exc:
            raise CompareError(f"check {name}: {exc}") from None
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
            sample=sample,
        )


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audit: where it was read from, its suite properties, its checks by name, and its
    message shapes and event types (None where they were not recorded, ``shapes_missing``
    saying why)."""

    source: str
    properties: Mapping[str, str]
    checks: Mapping[str, CheckRecord]
    notes: tuple[str, ...] = field(default_factory=tuple)
    shapes: RunShapes | None = None
    shapes_missing: str = ""

    @property
    def status(self) -> str | None:
        return self.properties.get("audit_status")

    @property
    def run_id(self) -> str:
        return self.properties.get("run_id") or Path(self.source).stem


def judged_record(
    source: str,
    properties: Mapping[str, str],
    results: Mapping[str, Mapping[str, str]],
    shapes: RunShapes | None,
) -> AuditRecord:
    """A run judged in this process (its checks' properties by test name), as compare reads a
    finished one."""
    checks = {name: CheckRecord.from_properties(name, props) for name, props in results.items()}
    missing = "" if shapes is not None else "this run has no judged data (no message shapes)"
    return AuditRecord(source, dict(properties), checks, (), shapes, missing)


def load_records(paths: list[Path]) -> list[AuditRecord]:
    """Each path's audit, in the order given; an ``--audit-out`` folder stands for its runs,
    oldest first."""
    records: list[AuditRecord] = []
    for path in paths:
        runs = AuditDir(path).runs() if path.is_dir() else []
        if runs and not RunFolder(path).summary_files():
            records += [load_record(run.path) for run in runs if run.summary_files()]
        else:
            records.append(load_record(path))
    return records


def load_record(path: Path) -> AuditRecord:
    """An audit's JUnit XML, or a run folder (its summary JSON)."""
    if path.is_dir():
        return _from_folder(path)
    try:
        root = ET.fromstring(read_regular_bytes(path, MAX_RECORD_BYTES))
    except NotARegularFile as exc:  # a FIFO, a device: refused, never waited on
        raise CompareError(f"'{path}': {_reason(exc, path)}") from None
    except OSError as exc:
        raise CompareError(f"'{path}': cannot read it ({exc.strerror or exc})") from None
    except ET.ParseError as exc:
        raise CompareError(f"'{path}': not XML ({exc})") from None
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
    shapes, missing = _shapes_beside(path, suite_props)
    return AuditRecord(str(path), suite_props, checks, tuple(notes), shapes, missing)


def _reason(exc: NotARegularFile, path: Path) -> str:
    """The problem alone (the message starts with the path, which the caller names)."""
    return str(exc).removeprefix(f"{path}: ")


def _shapes_beside(path: Path, props: Mapping[str, str]) -> tuple[RunShapes | None, str]:
    """A JUnit file carries no message shapes: they are read from its run's folder, the one
    its ``run_folder`` property names or the one it lies in, while that folder exists."""
    run_id = props.get("run_id", "")
    for folder in (props.get("run_folder", ""), str(path.parent)):
        if not folder or not Path(folder).is_dir():
            continue
        found = _read_shapes(Path(folder))
        if found is not None and found.run_id == run_id:
            return found, ""
    return None, (
        f"{path.name} is a JUnit XML file: message shapes and event types live in its run "
        "folder, which is not beside it (compare run folders to see what is new)"
    )


def _read_shapes(folder: Path) -> RunShapes | None:
    try:
        return read_shapes(RunFolder(folder))
    except ValueError as exc:
        raise CompareError(str(exc)) from None


def _from_folder(path: Path) -> AuditRecord:
    summaries = RunFolder(path).summary_files()
    if not summaries:
        raise CompareError(f"'{path}': no monitoring_report_*.json in this run folder")
    try:
        data: Any = json.loads(read_regular_bytes(summaries[-1], MAX_RECORD_BYTES))
    except (OSError, ValueError, NotARegularFile) as exc:
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
    properties = {str(k): str(v) for k, v in identity.items()}
    if isinstance(data.get("overall"), str):
        properties.setdefault("overall", data["overall"])
    shapes = _read_shapes(path)
    missing = "" if shapes is not None else f"{path.name} has no shapes.json (an earlier version)"
    return AuditRecord(str(path), properties, checks, (), shapes, missing)
