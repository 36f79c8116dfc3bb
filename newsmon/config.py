"""The one loader of the user's YAML: sources and topics, validated once, at the edge.

The CLI calls these; everything after takes the validated models (:class:`crawler.sources.Source`,
:class:`pipelines.topics.Topic`) and never re-reads or re-validates a file. Every problem is a
:class:`ConfigError` naming the file, the line and the key.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import field_validator

from crawler import sources as crawl_sources
from newsmon.schedule.spec import parse_duration, parse_schedule
from newsmon.yamlconf import ConfigError, line_for, load_model, load_yaml, validate
from pipelines.languages import KNOWN
from pipelines.topics import Topic, TopicsFile

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCES_FILE = PACKAGE_ROOT / "settings" / "sources.yaml"
DEFAULT_TOPICS_FILE = PACKAGE_ROOT / "settings" / "topics.yaml"
DEFAULT_ALERTS_FILE = PACKAGE_ROOT / "settings" / "alerts.yaml"

# ISO 639-1 codes a source may declare (pipelines/languages.py is the one list).
LANGUAGE_CODES = frozenset(KNOWN)


class Source(crawl_sources.Source):
    """A source as the application reads it: the crawler's model, plus the checks of what only
    the application uses (``schedule`` and ``crawl_timeout`` are read by ``newsmon schedule``)."""

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return parse_schedule(value).text  # raises ScheduleError (a ValueError) naming the problem

    @field_validator("crawl_timeout", mode="before")
    @classmethod
    def _crawl_timeout(cls, value: Any) -> float | None:
        return None if value is None else parse_duration(value)


class SourcesFile(crawl_sources.SourcesFile):
    sources: list[Source]


def unknown_name_message(kind: str, unknown: list[str] | tuple[str, ...], known: Iterable[str]) -> str:
    """``unknown source 'hespres-fr' (did you mean 'hespress-fr'?)``; the known names when
    nothing is close (difflib, as git and click do for commands)."""
    known = sorted(known)
    close = {n: difflib.get_close_matches(n, known, n=1, cutoff=0.6) for n in unknown}
    names = ", ".join(map(repr, unknown))
    if all(close.values()):
        guesses = ", ".join(repr(close[n][0]) for n in unknown)
        return f"unknown {kind} {names} (did you mean {guesses}?)"
    return f"unknown {kind} {names} (known: {', '.join(known) or 'none'})"


def load_sources(path: str | Path = DEFAULT_SOURCES_FILE, names: list[str] | tuple[str, ...] = ()) -> list[Source]:
    """Enabled sources from ``path``; ``names`` selects some (an unknown name is an error)."""
    parsed = load_model(path, SourcesFile)
    by_name = {s.name: s for s in parsed.sources}
    if names:
        unknown = [n for n in names if n not in by_name]
        if unknown:
            raise ConfigError(f"{path}: {unknown_name_message('source', unknown, by_name)}")
        return [by_name[n] for n in names]
    return [s for s in parsed.sources if s.enabled]


def load_topics(path: str | Path = DEFAULT_TOPICS_FILE) -> list[Topic]:
    """Read and validate a topics file; every problem is a ConfigError naming file and line."""
    data, lines = load_yaml(path)
    parsed = validate(data, lines, TopicsFile, str(path))
    seen: dict[str, int] = {}
    for i, topic in enumerate(parsed.topics):
        if topic.name in seen:
            line = line_for(lines, ("topics", i, "name"))
            raise ConfigError(f"{path}:{line}: topics[{i}].name: duplicate topic name "
                              f"{topic.name!r} (first defined as topics[{seen[topic.name]}])")
        seen[topic.name] = i
    return parsed.topics
