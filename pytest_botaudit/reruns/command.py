"""``botaudit compare OLD NEW [MORE ...]`` and ``botaudit trend RUN ...``: the files alone (JUnit
XML or run folders), no database and no pytest session.

compare exits 1 when the new run is worse (a verdict worse, a metric significantly and
relevantly worse, a new ERROR/CRITICAL message shape, or an audit that did not run), 0
otherwise, 2 on bad input or runs judged by different thresholds."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from ..config.values import DEFAULT_ALPHA, DEFAULT_MIN_EFFECT, parse_alpha, parse_effect
from ..record.summary import write_text
from .records import AuditRecord, CompareError, load_records

COMPARE_HELP = (
    "compare audits (JUnit XML files or run folders), oldest first: the overall verdict's "
    "change, then each metric worse, better or within noise, and what is new since the "
    "baseline; the last run is judged against the one before it"
)
TREND_HELP = (
    "many audits side by side (run folders, JUnit XML files, or an --audit-out folder for all "
    "its runs): one row per run, one column per metric, significant changes marked"
)
REMOVED_TOLERANCE = (
    "--tolerance was removed: compare now tells noise from change with a significance test "
    "(--alpha, default {alpha:g}) and a minimum relevant effect (--min-effect, default {effect:g})"
)


def _typed(parse: Callable[[str], float]) -> Callable[[str], float]:
    def convert(text: str) -> float:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"'{text}': {exc}") from None

    return convert


def _statistics(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--alpha",
        type=_typed(parse_alpha),
        default=DEFAULT_ALPHA,
        help=f"significance level, family-wise over the metrics (Holm); default {DEFAULT_ALPHA:g}",
    )
    parser.add_argument(
        "--min-effect",
        type=_typed(parse_effect),
        default=DEFAULT_MIN_EFFECT,
        help="smallest change that counts, in Cohen's units (d for latencies, h for rates); "
        f"default {DEFAULT_MIN_EFFECT:g}, a 'small' effect",
    )
    parser.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="compare audits that did not complete (interrupted, aborted, pre-flight failed)",
    )


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("compare", help=COMPARE_HELP, description=__doc__)
    parser.add_argument("runs", nargs="+", type=Path, metavar="RUN", help="OLD NEW [MORE ...]")
    _statistics(parser)
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    parser.add_argument("--markdown", type=Path, metavar="PATH", help="also write it as Markdown")
    parser.add_argument(
        "--warnings", action="store_true", help="also list WARNING message shapes new to the run"
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="refuse (exit 2) runs whose profiles differ or where one run has gaps the "
        "other lacks (runs judged by different thresholds are always refused)",
    )
    parser.add_argument("--tolerance", action="append", help=argparse.SUPPRESS)

    trend = commands.add_parser("trend", help=TREND_HELP, description=TREND_HELP)
    trend.add_argument("runs", nargs="+", type=Path, metavar="RUN")
    _statistics(trend)
    trend.add_argument("--json", action="store_true", help="print the trend as JSON")
    trend.add_argument(
        "--html", type=Path, metavar="PATH", help="also write a page with a chart per metric"
    )


def _records(args: argparse.Namespace, least: int) -> list[AuditRecord]:
    from .compare import incomplete  # the comparison loads only when a command runs

    records = load_records(args.runs)
    if len(records) < least:
        raise CompareError(f"{args.command} needs at least {least} runs, got {len(records)}")
    if not args.allow_incomplete:
        refused = [reason for r in records if (reason := incomplete(r))]
        if refused:
            raise CompareError("; ".join(refused) + " (--allow-incomplete compares it anyway)")
    return records


def run(args: argparse.Namespace) -> int:
    from .compare import Settings, compare_records
    from .render import markdown_lines, text_lines, to_json
    from .trend import build_trend, trend_json, trend_lines

    if args.tolerance:
        raise CompareError(REMOVED_TOLERANCE.format(alpha=DEFAULT_ALPHA, effect=DEFAULT_MIN_EFFECT))
    records = _records(args, 2)
    settings = Settings(args.alpha, args.min_effect)
    comparison = compare_records(records[-2], records[-1], settings)
    if args.strict and comparison.warnings:
        raise CompareError("not comparable (--strict): " + "; ".join(comparison.warnings))
    trend = build_trend(records, settings) if len(records) > 2 else None
    if args.json:
        print(
            json.dumps(
                to_json(comparison, trend_json(trend) if trend else None),
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        lines = text_lines(comparison, args.warnings)
        print("\n".join(lines + (["", *trend_lines(trend)] if trend else [])))
    if args.markdown is not None:
        body = markdown_lines(comparison)
        if trend is not None:
            body += ["", "```", *trend_lines(trend), "```"]
        write_text(args.markdown, "# Audit comparison\n\n" + "\n".join(body) + "\n")
    return comparison.exit_code


def trend(args: argparse.Namespace) -> int:
    from .compare import Settings
    from .trend import build_trend, trend_json, trend_lines

    records = _records(args, 2)
    built = build_trend(records, Settings(args.alpha, args.min_effect))
    if args.json:
        print(json.dumps(trend_json(built), indent=2, ensure_ascii=False))
    else:
        print("\n".join(trend_lines(built)))
    if args.html is not None:
        from .trendhtml import render_trend_html  # matplotlib loads only for the page

        write_text(args.html, render_trend_html(built))
        if not args.json:
            print(f"botaudit trend: wrote {args.html}")
    return 0
