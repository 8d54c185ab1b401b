"""``botaudit compare OLD NEW [MORE ...]``: the files alone (JUnit XML or run folders), no
database and no pytest session. Exit 1 on any regression, 0 otherwise, 2 on bad input."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..record.summary import write_text
from .compare import compare_records, incomplete, parse_tolerances
from .records import CompareError, load_record
from .render import markdown_lines, text_lines, to_json, trend_lines

HELP = (
    "compare audits (JUnit XML files or run folders), oldest first: regressions, "
    "improvements, new and gone checks, every metric's change; the last run is judged "
    "against the one before it"
)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("compare", help=HELP, description=HELP)
    parser.add_argument("runs", nargs="+", type=Path, metavar="RUN", help="OLD NEW [MORE ...]")
    parser.add_argument(
        "--tolerance",
        action="append",
        default=[],
        metavar="METRIC=PCT%",
        help="how far a metric may move the bad way before it is a regression (default 10%%; "
        "a bare PCT%% sets every metric's); from an old value of 0 any move counts",
    )
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    parser.add_argument("--markdown", type=Path, metavar="PATH", help="also write it as Markdown")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="refuse (exit 2) runs that are not comparable: profile, thresholds, interval or "
        "window length differ, or one run has gaps the other lacks",
    )
    parser.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="compare audits that did not complete (interrupted, aborted, pre-flight failed)",
    )


def run(args: argparse.Namespace) -> int:
    if len(args.runs) < 2:
        raise CompareError("compare needs at least two runs: OLD NEW [MORE ...]")
    tolerances = parse_tolerances(args.tolerance)
    records = [load_record(path) for path in args.runs]
    if not args.allow_incomplete:
        refused = [reason for r in records if (reason := incomplete(r))]
        if refused:
            raise CompareError("; ".join(refused) + " (--allow-incomplete compares it anyway)")
    comparison = compare_records(records[-2], records[-1], tolerances)
    if args.strict and comparison.warnings:
        raise CompareError("not comparable (--strict): " + "; ".join(comparison.warnings))
    if args.json:
        print(json.dumps(to_json(comparison, records), indent=2))
    else:
        lines = [*trend_lines(records), ""] if len(records) > 2 else []
        print("\n".join(lines + text_lines(comparison)))
    if args.markdown is not None:
        body = markdown_lines(comparison)
        if len(records) > 2:
            body = ["```", *trend_lines(records), "```", "", *body]
        write_text(args.markdown, "# Audit comparison\n\n" + "\n".join(body) + "\n")
    return 1 if comparison.regressions else 0
