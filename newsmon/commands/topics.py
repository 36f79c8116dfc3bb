"""``newsmon topics``: list the configured topics, and test one page against them.

``topics test`` runs the same extraction and matching as a crawl, so what it prints is what the
crawler would decide and store (terms found per concept, score, verdict).
"""

from __future__ import annotations

import functools
from pathlib import Path

import click

from newsmon.commands.common import printable
from newsmon.config import DEFAULT_TOPICS_FILE, load_topics, unknown_name_message
from newsmon.yamlconf import ConfigError
from pipelines.language import analysis_language
from pipelines.page import Hints, PageProcessor
from pipelines.relevance import match_topics
from newsmon import fetch as page_fetch
from pipelines.topics import BOOSTERS, Topic


def topics_file_option(fn):  # type: ignore[no-untyped-def]
    """``--topics FILE``, as in `crawl`, `schedule` and `sources check`; ``--topics-file``, its
    old spelling here, still works but is no longer shown."""

    @functools.wraps(fn)
    def wrapper(*args, topics_file_alias: str | None = None, **kwargs):  # type: ignore[no-untyped-def]
        if topics_file_alias is not None:
            kwargs["topics_file"] = topics_file_alias
        return fn(*args, **kwargs)

    wrapper = click.option("--topics-file", "topics_file_alias", type=click.Path(dir_okay=False), default=None,
                           hidden=True)(wrapper)
    return click.option("--topics", "topics_file", type=click.Path(dir_okay=False), default=str(DEFAULT_TOPICS_FILE),
                        show_default=True, help="Topics file.")(wrapper)


def _load(path: str, only: str | None) -> list[Topic]:
    try:
        topics = load_topics(path)
    except ConfigError as exc:
        raise _bad_input(str(exc)) from None
    if only:
        chosen = [t for t in topics if t.name == only]
        if not chosen:
            raise _bad_input(f"{path}: {unknown_name_message('topic', [only], (t.name for t in topics))}")
        topics = chosen
    return topics


def _bad_input(message: str) -> click.ClickException:
    """A mistake in what the user gave (file, name): exit status 2, like every command's."""
    exc = click.ClickException(message)
    exc.exit_code = 2
    return exc


@click.group("topics")
def topics() -> None:
    """Show topics and check how a page is matched against them."""


@topics.command("list")
@topics_file_option
def list_topics(topics_file: str) -> None:
    """List topics with their concepts and languages.

    Example: newsmon topics list
    """
    for t in _load(topics_file, None):
        click.echo(f"{t.name}: {t.description}" if t.description else t.name)
        click.echo(f"  languages: {', '.join(t.languages())}")
        click.echo(f"  needs: every concept, {t.min_mentions} weighted mentions each "
                   f"(title x{t.title_weight:g}, in lists x{t.list_weight:g})")
        for c in t.concepts:
            n = sum(len(v) for v in c.terms.values())
            click.echo(f"  concept {c.name}: {n} terms in {', '.join(k for k, v in c.terms.items() if v)}")
        if t.boosters:
            click.echo(f"  boosters: {sum(len(v) for v in t.boosters.values())} terms")


def _read(source: str, timeout: float = 20.0) -> tuple[bytes, str | None, str]:
    """Page bytes, content type and URL from a file path or an http(s) URL."""
    if source.startswith(("http://", "https://")):
        # a deadline for the whole request, redirects to private addresses refused (newsmon/fetch.py)
        try:
            fetched = page_fetch.fetch(source, timeout=timeout, user_agent="newsmon topics test", max_bytes=10_000_000)
        except page_fetch.FetchError as exc:
            raise click.ClickException(f"{source}: cannot fetch: {exc}") from None
        return fetched.body, fetched.content_type or None, fetched.url
    path = Path(source)
    try:
        return path.read_bytes(), None, path.resolve().as_uri()
    except OSError as exc:
        raise click.ClickException(f"{source}: cannot read: {exc.strerror or exc}") from None


@topics.command("test")
@click.argument("source")
@click.option("--topic", "only", help="Only this topic.")
@click.option("--lang", help="Language of the page (ar, fr, it, en, ru, kk, es); detected if omitted.")
@topics_file_option
def test_page(source: str, only: str | None, lang: str | None, topics_file: str) -> None:
    """Show what matched, per concept, in one page's extracted text, and the verdict.

    SOURCE is an HTML file or an http(s) URL.

    Example: newsmon topics test page.html --topic morocco-kazakhstan
    """
    chosen = _load(topics_file, only)
    body, content_type, url = _read(source)
    result = PageProcessor(chosen, keep_all=True)(body, url, Hints(content_type=content_type, language=lang))
    if result.article is None:
        raise click.ClickException(f"{source}: a crawl would not store this page: {result.dropped}")
    title, text = result.article.get("title") or "", result.article.get("text") or ""
    used = analysis_language(lang or result.article.get("lang"), f"{title}\n{text}")
    click.echo(f"title: {printable(title) or '(none)'}")
    click.echo(f"text: {len(text)} characters, language: {used or 'unknown (language-neutral matching)'}")
    for m in match_topics(title, text, used, chosen):
        topic = next(t for t in chosen if t.name == m.topic)
        click.echo(f"\n{m.topic}: {'RELEVANT' if m.relevant else 'not relevant'} (score {m.score:g}, "
                   f"needs every concept with {topic.min_mentions} weighted mentions)")
        for name, counts in m.concepts.items():
            label = "boosters" if name == BOOSTERS else f"concept {name}"
            found = ", ".join(f"{term} x{n}" for term, n in sorted(counts.items(), key=lambda kv: -kv[1]))
            click.echo(f"  {label}: {found or '(none)'}")
