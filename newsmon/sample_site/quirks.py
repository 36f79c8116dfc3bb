"""Quirky desks: pages on which newsmon's generic extractors go wrong, one per override kind.

Served under ``/quirks/<kind>/`` (title, date, body), each with an RSS feed at
``/quirks/<kind>/feed/`` listing its one article, so a source with the matching ``overrides``
entry can be crawled. :data:`QUIRKS` holds what each page is really about (the truth tests
compare with) and the override that gets it right:

* title — the theme puts the site name in the only ``<h1>``; the headline is a ``<div>``;
* date  — a stale ``<meta name="date">`` (the theme's launch) precedes a byline written
  ``12.06.2025 · 09h40`` that only a date format reads;
* body  — the ``entry-content`` block holds an "about us" blurb, the story itself sits in
  ``<span>`` lines of a ``<div class="copy">`` outside it.

All text is original fixture writing.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from typing import Any
from zoneinfo import ZoneInfo

HTML = "text/html; charset=UTF-8"
RSS = "application/rss+xml; charset=UTF-8"
TIMEZONE = "Africa/Casablanca"


@dataclass(frozen=True)
class Quirk:
    kind: str
    slug: str
    title: str
    published: datetime  # aware, local (Africa/Casablanca)
    paragraphs: tuple[str, ...]
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return f"/quirks/{self.kind}/{self.published:%Y/%m}/{self.slug}.html"

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


_TZ = ZoneInfo(TIMEZONE)

QUIRKS: dict[str, Quirk] = {q.kind: q for q in [
    Quirk("title", "phosphate-technicians", "Moroccan phosphate engineers train technicians in Kazakhstan",
          datetime(2025, 5, 20, 11, 15, tzinfo=_TZ),
          ("A group of twelve engineers from a Moroccan fertiliser producer spent three weeks in "
           "Aktobe, where they ran workshops for Kazakh plant technicians on phosphate processing.",
           "The visit followed a cooperation memorandum signed in Astana last winter. Organisers "
           "in Morocco said a second cohort of trainees from Kazakhstan would travel to Jorf Lasfar "
           "in the autumn to see the grinding and drying lines in operation.",
           "Both sides described the programme as a first step towards a joint laboratory."),
          {"title": ".story-title"}),
    Quirk("date", "kazakh-dates-in-rabat", "Kazakh date growers visit Rabat oasis researchers",
          datetime(2025, 6, 12, 9, 40, tzinfo=_TZ),
          ("Agronomists from southern Kazakhstan met researchers in Rabat this week to compare notes "
           "on growing date palms in dry, cold-winter climates.",
           "The Moroccan institute showed irrigation trials from the Draa valley, while the Kazakh "
           "visitors described greenhouse experiments near Shymkent. A shared seed bank for hardy "
           "varieties was discussed, with a decision expected before the end of the year."),
          {"date": ".stamp .when", "date_format": "%d.%m.%Y · %Hh%M"}),
    Quirk("body", "almaty-zellige-workshop", "Almaty students learn Moroccan zellige tilework",
          datetime(2025, 4, 3, 16, 5, tzinfo=_TZ),
          ("Architecture students in Almaty spent a week cutting and setting glazed tiles under the "
           "guidance of two master craftsmen from Fez.",
           "The workshop, hosted by a design school with support from the Moroccan embassy in "
           "Kazakhstan, ended with a small fountain panel that will stay in the school's courtyard.",
           "The craftsmen said geometric patterns travel well: the students recognised motifs they "
           "had seen on old buildings in Turkestan."),
          {"body": "div.copy"}),
]}

ABOUT = ("The Quirk Courier is an independent desk covering trade, science and culture. Our team "
         "of reporters works from three cities and publishes every weekday. Write to the newsroom "
         "with tips and corrections; we read every message and answer most of them within two days. "
         "Subscriptions keep this site free of paywalls.")


def _page(head: str, body: str) -> bytes:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">{head}</head>\n'
            f'<body class="single">\n<nav><a href="/quirks/">Home</a> <a href="/quirks/about/">About</a></nav>\n'
            f'{body}\n<footer><p>© Quirk Courier</p></footer></body></html>\n').encode("utf-8")


def _paragraphs(q: Quirk) -> str:
    return "\n".join(f"<p>{html.escape(p)}</p>" for p in q.paragraphs)


def render_page(q: Quirk) -> bytes:
    when = q.published
    iso = when.isoformat()
    if q.kind == "title":
        head = ('<title>Quirk Courier | Latest</title><meta property="og:type" content="article">'
                f'<meta property="article:published_time" content="{iso}">')
        body = (f'<h1 class="brand">Quirk Courier</h1>\n<article>\n'
                f'<div class="story-title">{html.escape(q.title)}</div>\n'
                f'<div class="entry-content">{_paragraphs(q)}</div>\n</article>')
    elif q.kind == "date":
        head = (f'<title>{html.escape(q.title)} | Quirk Courier</title><meta property="og:type" content="article">'
                '<meta name="date" content="2019-05-02">')
        stamp = f"{when:%d.%m.%Y} · {when:%H}h{when:%M}"
        body = (f'<article><h1>{html.escape(q.title)}</h1>\n'
                f'<div class="stamp">Filed <span class="when">{stamp}</span> by the desk</div>\n'
                f'<div class="entry-content">{_paragraphs(q)}</div>\n</article>')
    else:
        head = (f'<title>{html.escape(q.title)} | Quirk Courier</title><meta property="og:type" content="article">'
                f'<meta property="article:published_time" content="{iso}">')
        lines = "<br>\n".join(f'<span class="ln">{html.escape(p)}</span>' for p in q.paragraphs)
        body = (f'<article><h1>{html.escape(q.title)}</h1>\n'
                f'<div class="entry-content"><p>{ABOUT}</p><p>{ABOUT}</p></div>\n'
                f'<div class="copy">{lines}</div>\n</article>')
    return _page(head, body)


def render_feed(q: Quirk, base_url: str) -> bytes:
    item = (f"<item><title>{html.escape(q.title)}</title><link>{base_url}{q.path}</link>"
            f"<guid>{base_url}{q.path}</guid></item>")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Quirk Courier: {q.kind}'
            f"</title><link>{base_url}/quirks/{q.kind}/</link><description>fixture</description>"
            f"<lastBuildDate>{format_datetime(q.published)}</lastBuildDate>{item}</channel></rss>\n").encode("utf-8")


def answer(rest: str, base_url: str) -> tuple[int, str, bytes] | None:
    """(status, content type, body) for ``/quirks/<rest>``, or None when there is no such page."""
    kind, _, tail = rest.partition("/")
    q = QUIRKS.get(kind)
    if q is None:
        return None
    if tail == "feed/":
        return 200, RSS, render_feed(q, base_url)
    if f"/quirks/{kind}/{tail}" == q.path:
        return 200, HTML, render_page(q)
    return None
