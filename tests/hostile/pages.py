"""Pages the hostile site serves: small real-looking articles and discovery documents (written
for these tests, not copied from any outlet)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from html import escape

NOW = datetime.now(timezone.utc).replace(microsecond=0)

_BODY = ("The port authority of Casablanca said on Tuesday that a second grain ship chartered by a "
         "Kazakh trading house had docked overnight, and that customs checks would take two days. "
         "Officials from both ministries met at the quay to review the paperwork and the schedule "
         "for the next cargoes, which are expected before the end of the season.")


def article(n: int, title: str | None = None, when: datetime | None = None) -> bytes:
    when = when or NOW - timedelta(hours=n % 500)
    title = title or f"Grain ship number {n} docks in Casablanca"
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<meta property="article:published_time" content="{when.isoformat()}"></head>
<body><article><h1>{escape(title)}</h1><time datetime="{when.isoformat()}">{when:%d %B %Y}</time>
<p>{_BODY} Report {n}.</p><p>{_BODY}</p></article></body></html>""".encode()


def urlset(urls: Iterable[tuple[str, datetime | None]]) -> Iterator[bytes]:
    yield b'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    chunk: list[str] = []
    for url, when in urls:
        mod = f"<lastmod>{when.isoformat()}</lastmod>" if when else ""
        chunk.append(f"<url><loc>{escape(url)}</loc>{mod}</url>\n")
        if len(chunk) >= 5000:
            yield "".join(chunk).encode()
            chunk = []
    yield ("".join(chunk) + "</urlset>\n").encode()


def sitemap_index(urls: Iterable[str]) -> bytes:
    items = "".join(f"<sitemap><loc>{escape(u)}</loc></sitemap>" for u in urls)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/'
            f'sitemap/0.9">{items}</sitemapindex>').encode()


def rss(items: Iterable[tuple[str, str, datetime]]) -> bytes:
    body = "".join(f"<item><title>{escape(t)}</title><link>{escape(u)}</link>"
                   f"<pubDate>{w:%a, %d %b %Y %H:%M:%S +0000}</pubDate></item>" for u, t, w in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{body}</channel></rss>'.encode()
