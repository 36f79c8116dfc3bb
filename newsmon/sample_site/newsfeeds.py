"""Imitations of Google News and Bing News RSS search, whose links redirect to publishers.

* ``/newsfeeds/google/rss/search?q=…`` — RSS whose links are
  ``/newsfeeds/google/rss/articles/<id>?oc=5``; an article id answers 302 to the publisher's
  page (a sample article), ``…/articles/<id>`` with an ``i`` prefix serves an HTML interstitial
  carrying the target in ``data-n-au``, and ``CBMiNONE`` an interstitial with no target;
* ``/newsfeeds/bing/search?q=…&format=rss`` — RSS whose links are
  ``/newsfeeds/bing/apiclick.aspx?ref=FexRss&aid=&tid=…&url=<percent-encoded target>&c=…&mkt=en-us``,
  one of them to ``localhost`` (a private address the crawler must refuse).

Both feeds ignore the query (the crawler's search terms change with the topics); the articles
are the steppe-en outlet's relevant ones, two of them listed by both aggregators.
"""

from __future__ import annotations

import base64
import html
from email.utils import format_datetime
from urllib.parse import quote, urlsplit

from .catalog import SampleArticle, outlet_articles

HTML = "text/html; charset=UTF-8"
RSS = "application/rss+xml; charset=UTF-8"


def picks() -> list[SampleArticle]:
    return [a for a in outlet_articles("steppe-en") if a.relevant][:4]


def _id(path: str) -> str:
    return "CBMi" + base64.urlsafe_b64encode(path.encode()).decode().rstrip("=")


def _path(article_id: str) -> str | None:
    raw = article_id.removeprefix("i").removeprefix("CBMi")
    try:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def _rss(title: str, items: list[tuple[str, str, SampleArticle | None]]) -> bytes:
    body = "".join(
        f"<item><title>{html.escape(t)}</title><link>{html.escape(link)}</link><guid>{html.escape(link)}</guid>"
        + (f"<pubDate>{format_datetime(a.published)}</pubDate>" if a else "") + "</item>"
        for t, link, a in items)
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{html.escape(title)}</title>'
            f"<link>https://news.example/</link><description>fixture</description>{body}</channel></rss>").encode()


def google_feed(base_url: str) -> bytes:
    a = picks()
    g = f"{base_url}/newsfeeds/google/rss/articles/"
    items = [(a[0].title, g + _id(a[0].path) + "?oc=5", a[0]),
             (a[1].title, g + _id(a[1].path) + "?oc=5", a[1]),
             (a[2].title, g + "i" + _id(a[2].path) + "?oc=5", a[2]),  # interstitial with a target
             ("Unreachable story", g + "CBMiNONE?oc=5", None)]  # interstitial without one
    return _rss("Google News imitation", items)


def bing_feed(base_url: str) -> bytes:
    a = picks()
    host = urlsplit(base_url)

    def click(target: str, n: int) -> str:
        return (f"{base_url}/newsfeeds/bing/apiclick.aspx?ref=FexRss&aid=&tid=T{n}&url={quote(target, safe='')}"
                f"&c=1234{n}&mkt=en-us")

    items = [(a[1].title, click(base_url + a[1].path, 1), a[1]),  # also in the Google feed
             (a[3].title, click(base_url + a[3].path + "?utm_source=bing", 2), a[3]),
             ("Internal page", click(f"http://localhost:{host.port}{a[0].path}", 3), None)]
    return _rss("Bing News imitation", items)


def interstitial(target: str | None) -> bytes:
    link = f'<c-wiz data-n-au="{html.escape(target)}"></c-wiz>' if target else ""
    return (f'<!DOCTYPE html><html><head><title>Google News</title></head><body>{link}'
            f'<p>Opening the article…</p><a href="https://news.google.com/">Google News</a>'
            f'<a href="/newsfeeds/google/rss/search?q=more">More</a></body></html>').encode()


def answer(path: str, base_url: str) -> tuple[int, str, bytes, list[tuple[str, str]]] | None:
    """(status, content type, body, headers) for a ``/newsfeeds/...`` path, or None."""
    if path == "/newsfeeds/google/rss/search":
        return 200, RSS, google_feed(base_url), []
    if path == "/newsfeeds/bing/search":
        return 200, RSS, bing_feed(base_url), []
    prefix = "/newsfeeds/google/rss/articles/"
    if path.startswith(prefix):
        article_id = path[len(prefix):]
        target_path = _path(article_id) if article_id != "CBMiNONE" else None
        if article_id.startswith("i") or target_path is None:
            return 200, HTML, interstitial(base_url + target_path if target_path else None), []
        return 302, HTML, b"", [("Location", base_url + target_path)]
    return None
