"""URL routing for the sample site: request path in, :class:`Response` out, no sockets.

Keeping routing a pure function of (path, base URL, now) lets tests and the demo call it
directly; :mod:`.server` only copies the Response onto the wire (and sleeps for ``delay``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from urllib.parse import parse_qs, unquote, urlsplit

from . import blocking, dates, newsfeeds, quirks, render
from .blocking import HitLog
from .catalog import OUTLETS, SampleArticle, load_articles, outlet_articles

HUGE_SIZE = 20 * 1024 * 1024
HTML_UTF8 = "text/html; charset=UTF-8"
XML = "application/xml; charset=UTF-8"


@dataclass
class Response:
    status: int
    content_type: str | None = HTML_UTF8
    body: bytes | Iterator[bytes] = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    length: int | None = None      # known size of a streamed body
    delay: float = 0.0             # seconds to wait before answering

    @property
    def content_length(self) -> int:
        return len(self.body) if isinstance(self.body, bytes) else int(self.length or 0)


def redirect(location: str, status: int = 301) -> Response:
    return Response(status, HTML_UTF8, f'<a href="{location}">moved</a>'.encode(),
                    [("Location", location)])


def not_found(path: str) -> Response:
    body = render.environment().get_template("hostile/not_found.html").render(path=path)
    return Response(404, HTML_UTF8, body.encode())


def _articles_by_path() -> dict[str, SampleArticle]:
    return {a.path: a for a in load_articles()}


def _article_response(a: SampleArticle, now: datetime, base_url: str) -> Response:
    page, ctype = render.render_article_page(a, now, base_url)
    last = (a.modified or a.published).astimezone(timezone.utc)
    return Response(200, ctype, page,
                    [("Last-Modified", last.strftime("%a, %d %b %Y %H:%M:%S GMT"))])


def _listing(outlet_name: str, now: datetime, base_url: str, kind: str,
             key: str | None = None, query: str | None = None) -> Response:
    outlet = OUTLETS[outlet_name]
    w = dates.words(outlet.lang)
    if kind == "home":
        items, heading = outlet_articles(outlet_name), outlet.site_name
    elif kind == "category":
        if key not in outlet.sections:
            return not_found(f"/{outlet_name}/category/{key}/")
        items = [a for a in outlet_articles(outlet_name, archive=None) if a.section == key]
        heading = outlet.sections[key]
    elif kind == "tag":
        items = [a for a in outlet_articles(outlet_name, archive=None) if key in a.tags]
        if not items:
            return not_found(f"/{outlet_name}/tag/{key}/")
        heading = f"#{key}"
    else:
        items = render.search_articles(outlet_name, query or "")
        heading = w["search_results"].format(q=query or "")
    body = render.render_listing(outlet, now, base_url, heading=heading, items=items,
                                 kind=kind, query=query)
    return Response(200, HTML_UTF8, body)


# -- hostile outlet -------------------------------------------------------------------------

def pdf_bytes() -> bytes:
    """A tiny but well-formed one-page PDF."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            None,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    stream = b"BT /F1 18 Tf 72 760 Td (Annual report: Morocco Kazakhstan trade) Tj ET"
    objs[3] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def huge_chunks(size: int = HUGE_SIZE) -> Iterator[bytes]:
    """Exactly ``size`` bytes of HTML, generated on the fly so nothing large lives in the repo."""
    head = (b"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Endless "
            b"archive page</title></head><body><h1>Endless archive page</h1>\n")
    tail = b"</body></html>\n"
    para = (b"<p>This archive page repeats the same filler paragraph until it is far too large "
            b"for any sensible crawler to keep in memory. Row %08d.</p>\n")
    chunk_rows = 256
    sent = 0
    yield head
    sent += len(head)
    row = 0
    budget = size - len(tail)
    while sent < budget:
        chunk = b"".join(para % (row + i) for i in range(chunk_rows))
        row += chunk_rows
        chunk = chunk[: budget - sent]
        sent += len(chunk)
        yield chunk
    yield tail


HOSTILE_FEED_EXTRAS = [
    # (path, title, ISO date) for entries that are not catalog articles
    ("/hostile/404", "Deleted story", "2025-06-02T08:00:00+00:00"),
    ("/hostile/500", "Story behind a broken server", "2025-06-02T08:10:00+00:00"),
    ("/hostile/loop", "Story caught in a redirect loop", "2025-06-02T08:20:00+00:00"),
    ("/hostile/private/secret", "Internal draft", "2025-06-02T08:30:00+00:00"),
    ("/hostile/report.pdf", "Annual report (PDF)", "2025-06-02T08:40:00+00:00"),
    ("/hostile/huge", "Endless archive page", "2025-06-02T08:50:00+00:00"),
    ("/hostile/soft404", "Story that is not there", "2025-06-02T09:00:00+00:00"),
    ("/hostile/consent", "Story behind a cookie wall", "2025-06-02T09:10:00+00:00"),
]


def hostile_feed(base_url: str) -> bytes:
    outlet = OUTLETS["hostile"]
    items = render.feed_items(outlet, base_url)
    for item in items:   # the slow page needs its parameter; the moved one is reached by redirect
        if item["url"].endswith("/hostile/slow"):
            item["url"] += "?delay=2"
        elif item["url"].endswith("-moved-story.html"):
            item["url"] = base_url + "/hostile/redirect"
    for path, title, when in HOSTILE_FEED_EXTRAS:
        dt = datetime.fromisoformat(when)
        items.append({"title": title, "url": base_url + path, "author": "Desk",
                      "excerpt": title, "category": "News",
                      "pubdate": format_datetime(dt), "published": when, "updated": when})
    return render.render_feed(outlet, base_url, items)


def _hostile(rest: str, query: dict[str, list[str]], now: datetime, base_url: str) -> Response | None:
    env = render.environment()
    ctx = render.site_context(OUTLETS["hostile"], now, base_url)
    if rest == "404":
        return not_found("/hostile/404")
    if rest == "500":
        return Response(500, HTML_UTF8, b"<html><body><h1>500 Internal Server Error</h1></body></html>")
    if rest == "redirect":
        return redirect("/hostile/redirect/step2", 301)
    if rest == "redirect/step2":
        moved = next(a for a in outlet_articles("hostile") if a.slug == "moved-story")
        return redirect(moved.path, 302)
    if rest == "loop":
        return redirect("/hostile/loop/again", 302)
    if rest == "loop/again":
        return redirect("/hostile/loop", 302)
    if rest.startswith("private/"):
        return Response(200, HTML_UTF8, env.get_template("hostile/private.html").render().encode())
    if rest == "report.pdf":
        return Response(200, "application/pdf", pdf_bytes())
    if rest == "huge":
        return Response(200, HTML_UTF8, huge_chunks(), length=HUGE_SIZE)
    if rest == "soft404":
        return Response(200, HTML_UTF8, env.get_template("hostile/soft404.html").render(**ctx).encode())
    if rest == "consent":
        host = urlsplit(base_url).netloc or "localhost"
        return Response(200, HTML_UTF8,
                        env.get_template("hostile/consent.html").render(host=host).encode())
    if rest == "slow":
        try:
            delay = min(max(float(query.get("delay", ["2"])[0]), 0.0), 60.0)
        except ValueError:
            delay = 2.0
        slow = next(a for a in outlet_articles("hostile") if a.path == "/hostile/slow")
        resp = _article_response(slow, now, base_url)
        resp.delay = delay
        return resp
    return None


# -- main entry -----------------------------------------------------------------------------

def _extra(path: str, query: str, base_url: str, hits: HitLog | None) -> Response | None:
    """Pages outside the catalog: override fixtures, blocking endpoints, news-search imitations."""
    found: tuple | None = None
    if path.startswith("/quirks/"):
        answer = quirks.answer(path[len("/quirks/"):], base_url)
        found = answer + ([],) if answer else None
    elif path.startswith("/blocked/"):
        found = blocking.answer(path, query, base_url, hits)
    elif path.startswith("/newsfeeds/"):
        found = newsfeeds.answer(path, base_url)
    if found is None:
        return None
    status, ctype, body, headers = found
    return Response(status, ctype, body, list(headers))


def dispatch(target: str, base_url: str, now: datetime | None = None, hits: HitLog | None = None) -> Response:
    """Answer one GET for ``target`` (path plus query string); ``hits`` records blocked-page requests."""
    now = now or datetime.now(timezone.utc)
    parts = urlsplit(target)
    path = unquote(parts.path)
    query = parse_qs(parts.query, keep_blank_values=True)
    if hits is not None:
        hits.hit(path)
    extra = _extra(path, parts.query, base_url, hits)
    if extra is not None:
        return extra
    if path == "/robots.txt":
        return Response(200, "text/plain; charset=UTF-8", render.render_robots(base_url))
    if path == "/":
        return Response(200, HTML_UTF8, render.render_root(base_url))
    article = _articles_by_path().get(path)
    if article is not None and path != "/hostile/slow":
        return _article_response(article, now, base_url)
    segments = path.lstrip("/").split("/", 1)
    name = segments[0]
    if name not in OUTLETS:
        return not_found(path)
    outlet = OUTLETS[name]
    rest = segments[1] if len(segments) > 1 else ""
    if path == f"/{name}":
        return redirect(f"/{name}/")
    if name == "hostile":
        resp = _hostile(rest.rstrip("/"), query, now, base_url)
        if resp is not None:
            return resp
        if rest == "feed/":
            return Response(200, "application/rss+xml; charset=UTF-8", hostile_feed(base_url))
    if rest == "":
        if "s" in query:
            return _listing(name, now, base_url, "search", query=query["s"][0])
        return _listing(name, now, base_url, "home")
    if rest.startswith("category/") or rest.startswith("tag/"):
        kind, _, key = rest.rstrip("/").partition("/")
        return _listing(name, now, base_url, kind, key=key)
    if rest == "feed/" and outlet.feed_kind == "rss":
        return Response(200, "application/rss+xml; charset=UTF-8", render.render_feed(outlet, base_url))
    if rest == "atom.xml" and outlet.feed_kind == "atom":
        return Response(200, "application/atom+xml; charset=UTF-8", render.render_feed(outlet, base_url))
    if rest == "sitemap_index.xml":
        return Response(200, XML, render.render_sitemap_index(outlet, base_url))
    if rest == "post-sitemap.xml":
        return Response(200, XML, render.render_post_sitemap(outlet, base_url))
    if rest == "post-sitemap.xml.gz":
        return Response(200, "application/x-gzip", render.render_post_sitemap_gz(outlet, base_url))
    if rest == "news-sitemap.xml":
        return Response(200, XML, render.render_news_sitemap(outlet, base_url))
    if rest.rstrip("/") == "wp-json/wp/v2/posts":
        q = query.get("search", [""])[0]
        return Response(200, "application/json; charset=UTF-8", render.wp_posts_json(name, q, base_url),
                        [("X-WP-Total", str(len(render.search_articles(name, q))))])
    if name == "atlas-fr" and rest.startswith("private/"):
        return Response(200, HTML_UTF8,
                        render.environment().get_template("hostile/private.html").render().encode())
    return not_found(path)
