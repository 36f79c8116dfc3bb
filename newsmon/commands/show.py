"""`newsmon show`: one stored article, whole: metadata, matched terms, its story, clean text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from newsmon.commands.common import data_option, default_data_dir, json_option, print_json, printable, user_errors
from newsmon.store import Store, StoreError

MIN_PREFIX = 6


def find_article(store: Store, ref: str) -> dict[str, Any]:
    """An article by id, by a unique id prefix (6 characters at least), or by one of its URLs."""
    ref = ref.strip()
    if ref.startswith(("http://", "https://")):
        article_id = store.known_url(ref)
        if article_id is None:
            raise StoreError(f"no stored article has the URL {ref}")
        found = store.get_article(article_id)
        assert found is not None
        return found
    if len(ref) < MIN_PREFIX or any(c not in "0123456789abcdef" for c in ref.lower()):
        raise StoreError(f"{ref!r} is not an article id: give the id shown by `newsmon search --json` "
                         f"(or its first {MIN_PREFIX}+ characters), or the article's URL")
    rows = store.db.execute("SELECT id FROM articles WHERE id LIKE ? ORDER BY id LIMIT 3",
                            (ref.lower() + "%",)).fetchall()
    if not rows:
        raise StoreError(f"no stored article with id {ref!r}")
    if len(rows) > 1:
        raise StoreError(f"id {ref!r} is ambiguous ({', '.join(r[0] for r in rows)}…): give more characters")
    found = store.get_article(rows[0][0])
    assert found is not None
    return found


def story_of(store: Store, article: dict[str, Any]) -> list[dict[str, Any]]:
    """The other stored articles of the same story (wire copies), first seen first."""
    if not article.get("story_id"):
        return []
    rows = store.db.execute("SELECT id, source, title, url, published_at FROM articles "
                            "WHERE story_id = ? AND id != ? ORDER BY first_seen_at, id",
                            (article["story_id"], article["id"])).fetchall()
    return [dict(r) for r in rows]


@click.command("show")
@click.argument("ref", metavar="ID|URL")
@data_option
@json_option
@user_errors
def show(ref: str, data_dir: Path | None, as_json: bool) -> None:
    """Show one stored article: metadata, topics and matched terms, its story, and the clean text.

    ID is the id printed by `newsmon search` (a unique prefix of 6+ characters will do), or
    one of the article's URLs.

    Example: newsmon show 3f2a9c41d0b7
    """
    with Store(data_dir or default_data_dir(), readonly=True) as store:
        article = find_article(store, ref)
        story = story_of(store, article)
    if as_json:
        print_json({**{k: v for k, v in article.items() if k != "content_hash"}, "story": story})
        return
    a = article
    width = 15
    fields = [
        ("id", a["id"]), ("title", a["title"] or "(no title)"), ("source", a["source"]), ("language", a["lang"] or "?"),
        ("published", f"{a['published_at'] or 'undated'}" + (f" (from {a['date_source']})" if a.get("date_source") else "")),
        ("modified", a["modified_at"]), ("author", a["author"]), ("url", a["url"]),
        ("canonical", a["canonical_url"] if a["canonical_url"] != a["url"] else None),
        ("fetched", a["fetched_at"]), ("found via", a["discovered_via"]),
        ("relevant", f"{'yes' if a['relevant'] else 'no'} (score {a['relevance_score']:g})"),
        ("topics", ", ".join(a["topics"]) or "-"),
    ]
    for name, value in fields:
        if value:
            click.echo(printable(f"{name + ':':<{width}}{value}"))
    terms = a["matched_terms"] or {}
    if terms:
        ranked = sorted(terms.items(), key=lambda kv: (-kv[1], kv[0])) if isinstance(terms, dict) else []
        click.echo(printable(f"{'matched:':<{width}}" + ", ".join(f"{t} x{n}" for t, n in ranked)))
    if a.get("story_id"):
        copies = f"{len(story)} other cop{'y' if len(story) == 1 else 'ies'}" if story else "no other copy stored"
        click.echo(printable(f"{'story:':<{width}}{a['story_id']} ({copies})"))
        for other in story:
            click.echo(printable(f"  {other['id'][:12]}  {other['source']}  {other['title'] or '(no title)'}  {other['url']}"))
    click.echo("")
    click.echo(printable(a["text"]))
