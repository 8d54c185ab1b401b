"""The profile held against the bot's source: which event types and log templates it
classifies, which it does not, and which of its patterns no template matches any more."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..config.profile import Profile
from ..logs.categorize import Categorizer
from .source import BotSource
from .templates import LogTemplate

# levels whose every template the profile must classify (else the command fails)
STRICT_LEVELS = ("ERROR", "CRITICAL")
REPORTED_LEVELS = ("WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True, slots=True)
class ClassifiedTemplate:
    template: LogTemplate
    categories: tuple[str, ...]  # empty: unclassified; ("echo",) an event echo


@dataclass(frozen=True, slots=True)
class VocabularyReport:
    source: BotSource
    profile: Profile
    templates: tuple[ClassifiedTemplate, ...]
    counted_event_types: tuple[str, ...]  # in the enum and named by the profile
    uncounted_event_types: tuple[str, ...]  # in the enum, named nowhere in the profile
    unknown_event_types: tuple[str, ...]  # named by the profile, absent from the enum
    stale_patterns: tuple[tuple[str, str], ...]  # (category, pattern) matching no template

    def unclassified(self, levels: Sequence[str]) -> list[ClassifiedTemplate]:
        return [
            t
            for t in self.templates
            if t.template.level in levels and not t.categories and has_fixed_words(t.template)
        ]

    def wordless(self, levels: Sequence[str]) -> list[ClassifiedTemplate]:
        """Templates with no fixed words: no pattern can classify them from the source."""
        return [
            t
            for t in self.templates
            if t.template.level in levels and not t.categories and not has_fixed_words(t.template)
        ]

    def classified(self, levels: Sequence[str]) -> list[ClassifiedTemplate]:
        return [t for t in self.templates if t.template.level in levels and t.categories]

    @property
    def analysis_templates(self) -> list[ClassifiedTemplate]:
        """INFO templates that feed one of the seven analyses."""
        return [t for t in self.templates if t.template.level == "INFO" and t.categories]

    @property
    def failed(self) -> bool:
        """A template at ERROR or above that no pattern classifies: a fault the bot logs in
        words the audit would not count."""
        return bool(self.unclassified(STRICT_LEVELS))

    def to_json(self) -> dict[str, Any]:
        def item(entry: ClassifiedTemplate) -> dict[str, Any]:
            t = entry.template
            return {
                "where": t.where,
                "level": t.level,
                "logger": t.logger,
                "template": t.text,
                "categories": list(entry.categories),
            }

        return {
            "source": str(self.source.root),
            "entry": self.source.entry,
            "modules": len(self.source.modules),
            "unreadable": list(self.source.unreadable),
            "profile": self.profile.source,
            "event_types": {
                "counted": list(self.counted_event_types),
                "not_counted": list(self.uncounted_event_types),
                "unknown_to_the_bot": list(self.unknown_event_types),
            },
            "templates": {
                level: {
                    "classified": [item(t) for t in self.classified((level,))],
                    "unclassified": [item(t) for t in self.unclassified((level,))],
                    "no_fixed_words": [item(t) for t in self.wordless((level,))],
                }
                for level in REPORTED_LEVELS
            },
            "analysis_templates": [item(t) for t in self.analysis_templates],
            "stale_patterns": [{"category": c, "pattern": p} for c, p in self.stale_patterns],
            "failed": self.failed,
        }


def classify_template(
    template: LogTemplate, categorizer: Categorizer, echo_logger: str | None
) -> tuple[str, ...]:
    if echo_logger and template.logger == echo_logger and _is_echo(template):
        return ("echo",)
    # a multi-line message is one record in the log: its first line is what patterns see
    first_line = template.sample().split("\n", 1)[0]
    matches, _ = categorizer.categorize(first_line, template.level)
    return tuple(category for category, _, _ in matches)


def _is_echo(template: LogTemplate) -> bool:
    """``{event_type}: {data}``, or a message the echo logger builds whole (``{log_msg}``)."""
    parts = template.parts
    if len(parts) == 1:
        return parts[0][1]
    return len(parts) >= 2 and parts[0][1] and parts[1][0].startswith(": ")


def has_fixed_words(template: LogTemplate) -> bool:
    """A template of placeholders, spaces and punctuation only (``  - {issue}``) has no words
    a pattern could match: it is judged by its real text, in the run (unclassified shapes)."""
    return any(ch.isalpha() for text, hole in template.parts if not hole for ch in text)


# a pattern that matches what a message carries at run time (an exchange's payload, a
# variable's text), not the bot's template: no template shows it, so it is never stale
RUN_TIME_MARK = "(?#run time)"


def check_vocabulary(sources: Sequence[BotSource], profile: Profile) -> list[VocabularyReport]:
    """One report per source tree; a profile pattern is stale when it matches no template of
    any of the trees (an operator checks every version of the bot they run)."""
    categorizer = Categorizer(profile)
    named = set(profile.named_event_types)
    samples = [
        template.sample().split("\n", 1)[0] for source in sources for template in source.templates
    ]
    stale = tuple(
        (category, pattern.pattern)
        for category, patterns in profile.log_patterns.items()
        for pattern in patterns
        if not pattern.pattern.startswith(RUN_TIME_MARK)
        and not any(pattern.search(sample) for sample in samples)
    )
    reports = []
    for source in sources:
        enum_values = {e.value for e in source.event_types}
        reports.append(
            VocabularyReport(
                source,
                profile,
                tuple(
                    ClassifiedTemplate(
                        t, classify_template(t, categorizer, profile.log_echo_logger)
                    )
                    for t in source.templates
                ),
                tuple(sorted(enum_values & named)),
                tuple(sorted(enum_values - named)),
                tuple(sorted(named - enum_values)),
                stale,
            )
        )
    return reports
