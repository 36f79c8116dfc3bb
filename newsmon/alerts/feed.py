"""An Atom feed of a rule's latest matches (feedgen), for any feed reader to subscribe to.

Built from the ``alert_matches`` the alert runs record, so the feed lists exactly what the rule
alerted on (or, for a rule with no channel, what it would have). Every crawled string goes
through :func:`newsmon.alerts.render.clean` first: XML 1.0 cannot carry control characters, and
a feed reader must not receive bidi overrides either. feedgen escapes the rest.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from feedgen.feed import FeedGenerator

from newsmon.alerts.render import clean, safe_url
from newsmon.store import Store


def latest_matches(store: Store, rule: str, limit: int = 50) -> list[dict[str, Any]]:
    rows = store.db.execute(
        "SELECT article_id, matched_at, matched_terms FROM alert_matches WHERE rule = ? "
        "ORDER BY matched_at DESC, article_id LIMIT ?", (rule, limit)).fetchall()
    articles = store.get_articles([r[0] for r in rows])
    out = []
    for article_id, matched_at, terms in rows:
        if article_id in articles:
            out.append({**articles[article_id], "matched_at": matched_at, "rule_terms": json.loads(terms)})
    return out


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def atom_feed(rule: str, matches: list[dict[str, Any]], *, self_url: str | None = None,
              now: datetime | None = None) -> bytes:
    """The feed document (UTF-8 bytes); entries newest match first."""
    fg = FeedGenerator()
    fg.id(f"urn:newsmon:rule:{rule}")
    fg.title(f"newsmon: {rule}")
    fg.subtitle(f"Articles matched by the alert rule {rule}")
    fg.author({"name": "newsmon"})
    fg.generator("newsmon")
    if self_url:
        fg.link(href=self_url, rel="self")
    stamps = [_when(m["matched_at"]) for m in matches]
    fg.updated(max((s for s in stamps if s), default=now or datetime.now(timezone.utc)))
    for match in reversed(matches):  # feedgen prepends: add oldest first
        entry = fg.add_entry()
        entry.id(f"urn:newsmon:article:{match['id']}")
        entry.title(clean(match.get("title")) or "(no title)")
        link = safe_url(match.get("canonical_url") or match.get("url"))
        if link:
            entry.link(href=link, rel="alternate")
        entry.updated(_when(match.get("matched_at")) or datetime.now(timezone.utc))
        published = _when(match.get("published_at"))
        if published:
            entry.published(published)
        entry.author({"name": clean(match.get("source")) or "unknown"})
        if match.get("lang"):
            entry.category(term=f"lang:{clean(match['lang'])}")
        if match.get("story_id"):
            entry.category(term=f"story:{clean(match['story_id'])}")
        text = clean(match.get("text"))
        entry.summary(text[:400] + ("…" if len(text) > 400 else ""))
    return fg.atom_str(pretty=True)
