"""Turn catalog data into pages, feeds and sitemaps through the jinja2 themes.

Autoescape is on for every template (HTML and XML alike): article text such as
``<script>alert(1)</script>`` must reach the reader as visible text. The only ``|safe`` value is
the JSON-LD block, which is serialized here with ``</`` neutralized.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import html
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from . import dates
from .catalog import OUTLETS, Outlet, SampleArticle, get_article, load_articles, outlet_articles

THEMES_DIR = Path(__file__).with_name("themes")


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(THEMES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _render(template: str, **ctx: Any) -> str:
    return environment().get_template(template).render(**ctx)


def _stable(seed: str, low: int, high: int) -> int:
    """Deterministic pseudo-random number so pages are reproducible byte for byte per `now`."""
    return low + int(hashlib.md5(seed.encode()).hexdigest()[:8], 16) % (high - low + 1)


@dataclass(frozen=True)
class Link:
    title: str
    url: str
    date: str = ""
    excerpt: str = ""
    author: str = ""


def _link(a: SampleArticle, base_url: str) -> Link:
    o = OUTLETS[a.outlet]
    return Link(a.title, base_url + a.path,
                dates.format_short(a.local_published, o.lang, o.locale), a.excerpt, a.author)


def site_context(outlet: Outlet, now: datetime, base_url: str,
                 lang: str | None = None) -> dict[str, Any]:
    """The chrome shared by every page of an outlet: menus, today widget, weather, footer.

    ``lang`` overrides the outlet's language for the rare page written in another one.
    """
    lang = lang or outlet.lang
    locale = outlet.locale if lang == outlet.lang else lang
    w = dates.words(lang)
    local_now = now.astimezone(outlet.tz)
    base = f"{base_url}/{outlet.name}"
    section_urls = [f"{base}/category/{s}/" for s in outlet.sections]
    nav = [Link(label, f"{base}/" if i == 0 else section_urls[(i - 1) % len(section_urls)])
           for i, label in enumerate(w["nav"])]
    current = outlet_articles(outlet.name)
    return {
        "o": outlet, "W": w, "base": base, "base_url": base_url,
        "dir": w["dir"], "html_lang": locale, "lang": lang, "locale": locale,
        "today": dates.format_today(local_now, lang, locale),
        "weather": f"{_stable(local_now.date().isoformat() + outlet.city, 12, 31)} "
                   f"{w['weather_unit']}",
        "year": local_now.year, "nav": nav,
        "sections": [Link(n, f"{base}/category/{s}/") for s, n in outlet.sections.items()],
        "feed_url": base_url + outlet.feed_path,
        "feed_type": "application/rss+xml" if outlet.feed_kind == "rss" else "application/atom+xml",
        "most_read": [_link(a, base_url) for a in current[:4]],
        "share_on": w["share_on"],
    }


def _jsonld(a: SampleArticle, outlet: Outlet, url: str) -> Markup:
    published = dates.iso(a.local_published, a.iso_style)
    article: dict[str, Any] = {
        "@type": "NewsArticle", "headline": a.title, "datePublished": published,
        "author": {"@type": "Person", "name": a.author},
        "publisher": {"@type": "Organization", "name": outlet.site_name},
        "mainEntityOfPage": url,
        "inLanguage": outlet.locale if a.lang == outlet.lang else a.lang,
        "articleSection": outlet.sections[a.section],
    }
    if a.local_modified:
        article["dateModified"] = dates.iso(a.local_modified, a.iso_style)
    if outlet.theme == "jannah":   # Yoast-style graph around the article, as WordPress emits
        doc: dict[str, Any] = {"@context": "https://schema.org", "@graph": [
            {"@type": "WebSite", "name": outlet.site_name, "url": f"{url.split(a.path)[0]}/"},
            {"@type": "WebPage", "@id": url, "name": a.title}, article]}
    else:
        doc = {"@context": "https://schema.org", **article}
    text = json.dumps(doc, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return Markup(text)


def article_context(a: SampleArticle, now: datetime, base_url: str) -> dict[str, Any]:
    outlet = OUTLETS[a.outlet]
    ctx = site_context(outlet, now, base_url, a.lang)
    lang, locale = ctx["lang"], ctx["locale"]
    url = base_url + a.path
    local = a.local_published
    read_also = None
    if a.read_also:
        target = get_article(a.read_also[1])
        read_also = (a.read_also[0], Link(target.title, base_url + target.path))
    blocks = []
    for i, block in enumerate(a.body):
        heading = block.startswith("## ")
        blocks.append({"heading": heading, "text": block[3:] if heading else block,
                       "read_also": read_also[1] if read_also and read_also[0] == i else None,
                       "ad_after": i == 1})
    others = [x for x in outlet_articles(a.outlet) if x.slug != a.slug]
    start = _stable(a.slug, 0, max(len(others) - 1, 0))
    related = [_link(x, base_url) for x in (others[start:] + others[:start])[:4]]
    comments = [{"author": c.author, "iso": c.date.astimezone(outlet.tz).isoformat(),
                 "date": f"{dates.format_short(c.date.astimezone(outlet.tz), lang, locale)}"
                         f" {c.date.astimezone(outlet.tz):%H:%M}",
                 "text": c.text} for c in a.comments]
    ctx.update({
        "a": a, "url": url, "title": a.title, "author": a.author, "blocks": blocks,
        "section_name": outlet.sections[a.section],
        "section_url": f"{ctx['base']}/category/{a.section}/",
        "tags": [Link(t.replace("-", " "), f"{ctx['base']}/tag/{t}/") for t in a.tags],
        "byline": (dates.format_byline(a.byline, local, lang, locale,
                                       now.astimezone(outlet.tz), a.author)
                   if a.byline else None),
        "updated": (dates.format_updated(a.local_modified, lang, locale)
                    if a.local_modified else None),
        "time_iso": dates.iso(local, a.iso_style) if "time" in a.signals else None,
        "time_text": dates.format_short(local, lang, locale),
        "meta_published": dates.iso(local, a.iso_style) if "meta" in a.signals else None,
        "meta_modified": (dates.iso(a.local_modified, a.iso_style)
                          if "meta" in a.signals and a.local_modified else None),
        "jsonld": _jsonld(a, outlet, url) if "jsonld" in a.signals else None,
        "related": related, "comments": comments, "custom_comments": a.comment_markup == "custom",
        "views": _stable(a.slug + "views", 40, 9000),
        "charset_meta": a.encoding if "meta" in a.charset else None,
    })
    return ctx


def content_type(a: SampleArticle) -> str:
    return f"text/html; charset={a.encoding}" if "header" in a.charset else "text/html"


def render_article_page(a: SampleArticle, now: datetime, base_url: str = "") -> tuple[bytes, str]:
    outlet = OUTLETS[a.outlet]
    template = (f"hostile/{a.template}.html" if a.template != "article"
                else f"{outlet.theme}/article.html")
    page = _render(template, **article_context(a, now, base_url))
    return page.encode(a.encoding, errors="xmlcharrefreplace"), content_type(a)


def render_listing(outlet: Outlet, now: datetime, base_url: str, *, heading: str,
                   items: list[SampleArticle], kind: str, query: str | None = None) -> bytes:
    """Home, category, tag and search-result pages (listings, never articles)."""
    ctx = site_context(outlet, now, base_url)
    ctx.update({"heading": heading, "items": [_link(a, base_url) for a in items], "kind": kind,
                "query": query, "private_link": outlet.name == "atlas-fr"})
    return _render(f"{outlet.theme}/listing.html", **ctx).encode("utf-8")


def search_articles(outlet: str, query: str) -> list[SampleArticle]:
    """WordPress-like search: case-insensitive substring in title or body."""
    q = query.casefold().strip()
    if not q:
        return []
    return [a for a in outlet_articles(outlet, archive=None)
            if q in a.title.casefold() or q in a.text.casefold()]


def wp_posts_json(outlet: str, query: str, base_url: str) -> bytes:
    posts = []
    for a in search_articles(outlet, query):
        local = a.local_published
        posts.append({
            "id": a.number,
            "date": local.strftime("%Y-%m-%dT%H:%M:%S"),
            "date_gmt": a.published.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
            "modified": (a.local_modified or local).strftime("%Y-%m-%dT%H:%M:%S"),
            "link": base_url + a.path,
            "slug": a.slug,
            "title": {"rendered": html.escape(a.title, quote=False)},
            "excerpt": {"rendered": f"<p>{html.escape(a.excerpt, quote=False)}</p>\n",
                        "protected": False},
        })
    return json.dumps(posts, ensure_ascii=False).encode("utf-8")


# -- feeds and sitemaps ---------------------------------------------------------------------

def feed_items(outlet: Outlet, base_url: str) -> list[dict[str, Any]]:
    """Current articles newest first, then the 2019 archive entries (for age-window tests)."""
    items = []
    for a in outlet_articles(outlet.name) + outlet_articles(outlet.name, archive=True):
        items.append({
            "title": a.title, "url": base_url + a.path, "author": a.author,
            "excerpt": a.excerpt, "category": outlet.sections[a.section],
            "pubdate": format_datetime(a.local_published),
            "published": a.local_published.isoformat(timespec="seconds"),
            "updated": (a.local_modified or a.local_published).isoformat(timespec="seconds"),
        })
    return items


def render_feed(outlet: Outlet, base_url: str, items: list[dict[str, Any]] | None = None) -> bytes:
    items = feed_items(outlet, base_url) if items is None else items
    newest = max((i["updated"] for i in items), default="2025-01-01T00:00:00+00:00")
    ctx = {"o": outlet, "base": f"{base_url}/{outlet.name}", "items": items,
           "feed_url": base_url + outlet.feed_path,
           "build": format_datetime(datetime.fromisoformat(newest)), "updated": newest}
    template = "xml/rss.xml" if outlet.feed_kind == "rss" else "xml/atom.xml"
    return _render(template, **ctx).encode("utf-8")


def render_sitemap_index(outlet: Outlet, base_url: str) -> bytes:
    arts = outlet_articles(outlet.name, archive=None)
    lastmod = max((a.modified or a.published) for a in arts).isoformat(timespec="seconds")
    post = "post-sitemap.xml.gz" if outlet.name == "atlas-fr" else "post-sitemap.xml"
    maps = [(f"{base_url}/{outlet.name}/{post}", lastmod),
            (f"{base_url}/{outlet.name}/news-sitemap.xml", lastmod)]
    return _render("xml/sitemap_index.xml", maps=maps).encode("utf-8")


def render_post_sitemap(outlet: Outlet, base_url: str) -> bytes:
    urls = [(base_url + a.path, (a.local_modified or a.local_published).isoformat(timespec="seconds"))
            for a in outlet_articles(outlet.name, archive=None)]
    return _render("xml/urlset.xml", urls=urls).encode("utf-8")


def render_post_sitemap_gz(outlet: Outlet, base_url: str) -> bytes:
    return gzip.compress(render_post_sitemap(outlet, base_url), mtime=0)


def render_news_sitemap(outlet: Outlet, base_url: str) -> bytes:
    entries = [{"url": base_url + a.path, "title": a.title, "lang": a.lang,
                "date": a.local_published.isoformat(timespec="seconds")}
               for a in outlet_articles(outlet.name)]
    return _render("xml/news_sitemap.xml", o=outlet, entries=entries).encode("utf-8")


def render_robots(base_url: str) -> bytes:
    lines = ["User-agent: *", "Disallow: /atlas-fr/private/", "Disallow: /hostile/private/",
             "Disallow: /*/wp-admin/", ""]
    lines += [f"Sitemap: {base_url}/{name}/sitemap_index.xml" for name in OUTLETS]
    return ("\n".join(lines) + "\n").encode("utf-8")


def render_root(base_url: str) -> bytes:
    counts = {name: len(outlet_articles(name, archive=None)) for name in OUTLETS}
    return _render("root.html", outlets=OUTLETS, counts=counts, base_url=base_url,
                   total=len(load_articles())).encode("utf-8")


def render_article(slug: str, now: datetime) -> tuple[bytes, str]:
    """Page bytes and Content-Type header value; ``now`` feeds the "today" widget."""
    return render_article_page(get_article(slug), now)
