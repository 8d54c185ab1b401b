"""``botaudit vocabulary --bot-source DIR``: the profile held against the bot's source. Exit 1
when a template at ERROR or above is unclassified, 0 otherwise, 2 on bad input."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from ..config.profile import load_profile
from ..escape import for_terminal
from .check import REPORTED_LEVELS, STRICT_LEVELS, VocabularyReport, check_vocabulary
from .source import read_source
from .templates import LogTemplate

HELP = (
    "hold the profile against the bot's source: which event types and WARNING/ERROR/CRITICAL "
    "log templates it classifies, which it does not, and which of its patterns match nothing"
)
EPILOG = """exit codes: 0 every ERROR/CRITICAL template is classified; 1 one is not (the audit
would not count a fault the bot logs in those words); 2 bad input.

example: botaudit vocabulary --bot-source ~/TradingBot --json"""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "vocabulary",
        help=HELP,
        description=HELP,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--bot-source",
        type=Path,
        action="append",
        required=True,
        metavar="DIR",
        help="a checkout of the bot (repeat for several versions: a pattern is stale only "
        "when it matches no template of any)",
    )
    parser.add_argument(
        "--entry",
        default="main.py",
        help="the bot's entry module; the modules it imports are read (default main.py)",
    )
    parser.add_argument("--profile", type=Path, help="profile TOML (default: the bot contract)")
    parser.add_argument("--json", action="store_true", help="the report as JSON")
    parser.add_argument(
        "--all", action="store_true", help="also list the classified templates, not only counts"
    )


def run(args: argparse.Namespace) -> int:
    profile = load_profile(args.profile)
    sources = [read_source(root, args.entry) for root in args.bot_source]
    reports = check_vocabulary(sources, profile)
    if args.json:
        print(json.dumps([r.to_json() for r in reports], indent=2, ensure_ascii=False))
    else:
        print("\n\n".join("\n".join(text_lines(r, args.all)) for r in reports))
    return 1 if any(r.failed for r in reports) else 0


def text_lines(report: VocabularyReport, every: bool = False) -> list[str]:
    source = report.source
    levels = Counter(t.template.level for t in report.templates)
    lines = [
        f"botaudit vocabulary: {source.root} (entry {source.entry}, {len(source.modules)} "
        f"modules, {len(report.templates)} log calls, {len(source.event_types)} event types)",
        f"profile: {report.profile.source}",
    ]
    lines += [f"  unreadable: {for_terminal(item)}" for item in source.unreadable]
    lines += [
        f"event types: {len(report.counted_event_types)} named by the profile, "
        f"{len(report.uncounted_event_types)} not named:",
        *(f"  {for_terminal(t)}" for t in report.uncounted_event_types),
    ]
    if report.unknown_event_types:
        lines.append(
            "profile event types the bot's enum lacks: "
            + for_terminal(", ".join(report.unknown_event_types))
        )
    for level in reversed(REPORTED_LEVELS):
        unclassified = report.unclassified((level,))
        classified = report.classified((level,))
        mark = "FAIL" if unclassified and level in STRICT_LEVELS else "ok"
        lines.append(
            f"{level} templates: {levels[level]}, classified {len(classified)}, "
            f"unclassified {len(unclassified)}" + (f" [{mark}]" if level in STRICT_LEVELS else "")
        )
        lines += [f"  {_line(t.template)}" for t in unclassified]
        wordless = report.wordless((level,))
        if wordless:
            lines.append(
                f"  ({len(wordless)} more without fixed words, judged by their text in a run: "
                + ", ".join(t.template.where for t in wordless)
                + ")"
            )
        if every:
            lines += [f"  = {','.join(t.categories)}: {_line(t.template)}" for t in classified]
    analysis = report.analysis_templates
    lines.append(f"INFO templates the analyses read: {len(analysis)}")
    if every:
        lines += [f"  = {','.join(t.categories)}: {_line(t.template)}" for t in analysis]
    lines.append(f"profile patterns matching no template: {len(report.stale_patterns)}")
    lines += [f"  {category}: {for_terminal(p)}" for category, p in report.stale_patterns]
    verdict = (
        "unclassified ERROR/CRITICAL templates: the audit would miss them"
        if report.failed
        else "every ERROR/CRITICAL template is classified"
    )
    lines.append(f"result: {verdict}")
    return lines


def _line(template: LogTemplate) -> str:
    return for_terminal(f"{template.where} {template.logger}: {template.text}")
