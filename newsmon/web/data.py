"""What the pages and the API read, beside the search itself: each function opens the store
read-only and returns plain data (the same dicts the JSON API sends)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from newsmon.alerts.config import AlertsFile, load_alerts
from newsmon.alerts.render import safe_url
from newsmon.config import load_sources
from newsmon.es.mapping import local_published
from newsmon.query import parse, positive_terms
from newsmon.schedule.health import HealthOptions, status_report
from newsmon.snippets import match_spans
from newsmon.search import stored_article
from newsmon.search_types import SearchBackend
from newsmon.store import DB_NAME, Store
from newsmon.yamlconf import ConfigError


def source_timezones(sources_file: Path | None) -> dict[str, str]:
    """Source name → IANA zone (for each article's time on its own page); {} when unreadable."""
    if sources_file is None or not sources_file.exists():
        return {}
    try:
        return {s.name: s.timezone for s in load_sources(sources_file)}
    except ConfigError:
        return {}


def page_local_time(published_at: str | None, tz_name: str | None) -> str | None:
    """The publication time on the source's own clock, e.g. ``2025-02-21 18:42 (+01:00, Africa/Casablanca)``."""
    text, offset = local_published(published_at, tz_name)
    if not text or len(text) <= 10:
        return text
    return f"{text[:10]} {text[11:16]} ({offset}{', ' + tz_name if tz_name else ''})"


def highlighted_parts(text: str, lang: str | None, query: str) -> list[tuple[str, bool]]:
    """The whole text cut into (piece, matched) for the article view; an unparsable query marks nothing."""
    try:
        terms = positive_terms(parse(query)) if query.strip() else []
    except ValueError:
        terms = []
    parts: list[tuple[str, bool]] = []
    pos = 0
    for start, end in match_spans(text, lang, terms):
        if start > pos:
            parts.append((text[pos:start], False))
        parts.append((text[start:end], True))
        pos = end
    if pos < len(text):
        parts.append((text[pos:], False))
    return parts


def article_view(data_dir: Path, article_id: str, backend: SearchBackend | None = None) -> dict[str, Any] | None:
    """An article with the other outlets of its story (``story``), or None: from the SQLite store
    when it holds the article, else from the search backend (Elasticsearch's ``_source``, for a
    machine that searches a cluster without a copy of every worker's store)."""
    article = stored_article(data_dir, article_id) if (data_dir / DB_NAME).exists() else None
    if article is None and backend is not None and backend.name != "embedded":
        article = backend.article(article_id)
    if article is None:
        return None
    article["original_url"] = safe_url(article.get("canonical_url") or article.get("url"))
    return article


def api_article(article: dict[str, Any]) -> dict[str, Any]:
    keep = ("id", "url", "canonical_url", "title", "source", "lang", "author", "published_at", "modified_at",
            "date_source", "fetched_at", "topics", "matched_terms", "relevance_score", "story_id", "story_size",
            "story", "text")
    return {k: article.get(k) for k in keep}


def runs(data_dir: Path, limit: int = 50) -> list[dict[str, Any]]:
    with Store(data_dir, readonly=True) as store:
        rows = store.runs(limit)
    for row in rows:  # the full Scrapy stats are long; the page and the API keep the counters that matter
        stats = row.pop("stats", {}) or {}
        row["stats"] = {k: v for k, v in stats.items() if k.startswith(("newsmon/", "downloader/response_status"))}
    return rows


def sources(data_dir: Path, options: HealthOptions | None = None) -> dict[str, Any]:
    """`newsmon status --json`'s report: the scheduler and each source's health."""
    return status_report(data_dir, options or HealthOptions())


def alerts_overview(data_dir: Path, alerts_file: Path | None, deliveries: int = 10) -> dict[str, Any]:
    """Each alert rule (from the rules file when readable, else as the store registered them),
    its match count and latest deliveries."""
    config: AlertsFile | None = None
    problem = None
    if alerts_file is not None and alerts_file.exists():
        try:
            config = load_alerts(alerts_file)
        except ConfigError as exc:
            problem = str(exc)
    with Store(data_dir, readonly=True) as store:
        db = store.db
        try:
            registered = [r[0] for r in db.execute("SELECT name FROM alert_rules ORDER BY name")]
            counts = dict(db.execute("SELECT rule, COUNT(*) FROM alert_matches GROUP BY rule").fetchall())
            last = dict(db.execute("SELECT rule, MAX(matched_at) FROM alert_matches GROUP BY rule").fetchall())
        except sqlite3.OperationalError:  # a store from before alerts
            registered, counts, last = [], {}, {}
        names = [r.name for r in config.rules] if config else registered
        rules = []
        for name in names:
            rule = config.rule(name) if config else None
            rows = db.execute(
                "SELECT d.id, a.created_at, a.kind, a.items, d.label, d.status, d.attempts, d.sent_at, "
                "d.last_error FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id WHERE a.rule = ? "
                "ORDER BY d.id DESC LIMIT ?", (name, deliveries)).fetchall() if registered else []
            rules.append({
                "name": name, "query": rule.query if rule else None,
                "languages": rule.languages if rule else [], "topics": rule.topics if rule else [],
                "channels": [c.label for c in rule.channels] if rule else [],
                "matches": counts.get(name, 0), "last_match_at": last.get(name),
                "deliveries": [{"id": r["id"], "created_at": r["created_at"], "kind": r["kind"],
                                "articles": len(json.loads(r["items"] or "[]")), "channel": r["label"],
                                "status": r["status"], "attempts": r["attempts"], "sent_at": r["sent_at"],
                                "error": r["last_error"]} for r in rows],
            })
    return {"rules": rules, "problem": problem}
