"""What the sample site holds: outlets, articles (from YAML) and the truth each page encodes.

The article YAML files are the single source of truth. Everything a page shows about dates is
generated from ``published``/``modified`` (see :mod:`.dates`), so ``expected()`` can never
disagree with what is served. ``signals`` in a YAML file choose which evidence a page carries.

Article YAML keys (``articles/<outlet>/<slug>.yaml``)::

    title, author, published (ISO with offset), body (list of blocks, "## " = heading)
    relevant: bool              # about Morocco–Kazakhstan relations?
    section: slug               # one of the outlet's sections
    tags: [slug, ...]
    signals: [jsonld, meta, time]   # machine-readable date evidence (may be empty)
    byline: weekday_full | date_time | date_only | relative | hijri   (optional)
    iso: local | utc | naive | date # how machine-readable dates are written (default local)
    modified: ISO               # optional; always shown ("Mis à jour le ...", dateModified)
    encoding: utf-8 | windows-1256 | cp1251
    charset: header+meta | header | meta | none
    read_also: {after: <block index>, slug: <other article>}
    comments: [{author, date, text}], comment_markup: standard | custom
    path: /override/              # hostile outlet only
    template: article | malformed # hostile outlet only
    archive: true                 # 2019 entries listed at the end of feeds
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from . import dates

ARTICLES_DIR = Path(__file__).with_name("articles")


@dataclass(frozen=True)
class Outlet:
    name: str
    lang: str
    timezone: str
    locale: str
    theme: str            # jannah | tagdiv | semantic
    feed_kind: str        # rss | atom
    url_style: str        # date: /O/YYYY/MM/DD/slug/  |  news: /O/news/<n>-slug.html
    site_name: str = ""
    city: str = ""
    sections: dict[str, str] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def feed_path(self) -> str:
        return f"/{self.name}/feed/" if self.feed_kind == "rss" else f"/{self.name}/atom.xml"


OUTLETS: dict[str, Outlet] = {o.name: o for o in [
    Outlet("atlas-ar", "ar", "Africa/Casablanca", "ar-MA", "jannah", "rss", "date",
           "أطلس بريس", "مراكش",
           {"siyasa": "سياسة", "iqtisad": "اقتصاد", "riyada": "رياضة", "thaqafa": "ثقافة"}),
    Outlet("atlas-fr", "fr", "Africa/Casablanca", "fr-MA", "tagdiv", "rss", "news",
           "Atlas Info", "Marrakech",
           {"politique": "Politique", "economie": "Économie", "sport": "Sport",
            "culture": "Culture"}),
    Outlet("levant-ar", "ar", "Asia/Beirut", "ar-LB", "semantic", "atom", "news",
           "المشرق اليوم", "بيروت",
           {"duwali": "دولي", "iqtisad": "اقتصاد", "taqs": "طقس", "thaqafa": "ثقافة"}),
    Outlet("steppe-ru", "ru", "Asia/Almaty", "ru-KZ", "semantic", "rss", "date",
           "Степь Новости", "Алматы",
           {"politika": "Политика", "ekonomika": "Экономика", "sport": "Спорт",
            "obshchestvo": "Общество"}),
    Outlet("steppe-kk", "kk", "Asia/Almaty", "kk", "semantic", "atom", "news",
           "Дала Ақпарат", "Астана",
           {"sayasat": "Саясат", "ekonomika": "Экономика", "sport": "Спорт",
            "madeniet": "Мәдениет"}),
    Outlet("steppe-en", "en", "Asia/Almaty", "en", "tagdiv", "rss", "news",
           "Steppe Times", "Astana",
           {"politics": "Politics", "business": "Business", "sports": "Sports",
            "culture": "Culture"}),
    Outlet("nova-it", "it", "Europe/Rome", "it", "jannah", "rss", "date",
           "Nova Notizie", "Roma",
           {"esteri": "Esteri", "economia": "Economia", "sport": "Sport", "cronaca": "Cronaca"}),
    Outlet("mundo-es", "es", "Europe/Madrid", "es", "tagdiv", "atom", "date",
           "Mundo Diario", "Madrid",
           {"internacional": "Internacional", "economia": "Economía", "deportes": "Deportes",
            "sociedad": "Sociedad"}),
    Outlet("hostile", "en", "UTC", "en", "semantic", "rss", "news",
           "Hostile Herald", "Nowhere",
           {"news": "News"}),
]}

SIGNALS = {"jsonld", "meta", "time"}
ISO_STYLES = {"local", "utc", "naive", "date"}
CHARSET_PLACES = {"header+meta", "header", "meta", "none"}


@dataclass(frozen=True)
class Comment:
    author: str
    date: datetime
    text: str


@dataclass(frozen=True)
class SampleArticle:
    slug: str
    outlet: str
    lang: str
    title: str
    body: tuple[str, ...]
    author: str
    published: datetime
    modified: datetime | None
    relevant: bool
    encoding: str
    path: str
    section: str = ""
    tags: tuple[str, ...] = ()
    signals: frozenset[str] = frozenset()
    byline: str | None = None
    iso_style: str = "local"
    charset: str = "header+meta"
    read_also: tuple[int, str] | None = None   # (after block index, slug)
    comments: tuple[Comment, ...] = ()
    comment_markup: str = "standard"
    archive: bool = False
    number: int = 0
    template: str = "article"   # hostile pages use malformed / plain variants

    @property
    def local_published(self) -> datetime:
        return self.published.astimezone(OUTLETS[self.outlet].tz)

    @property
    def local_modified(self) -> datetime | None:
        return self.modified.astimezone(OUTLETS[self.outlet].tz) if self.modified else None

    @property
    def shows_time(self) -> bool:
        """Does the page state a time of day anywhere (else only the calendar date is knowable)?"""
        machine = bool(self.signals) and self.iso_style != "date"
        return machine or (self.byline is not None and dates.BYLINE_STYLES[self.byline])

    @property
    def text(self) -> str:
        return "\n".join(b[3:] if b.startswith("## ") else b for b in self.body)

    @property
    def excerpt(self) -> str:
        first = next(b for b in self.body if not b.startswith("## "))
        return first if len(first) <= 220 else first[:217].rsplit(" ", 1)[0] + "…"

    def expected(self) -> dict[str, Any]:
        """What a perfect pipeline should extract from this page."""
        if self.shows_time:
            published = self.published.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        else:
            published = self.local_published.date().isoformat()
        modified = (self.modified.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                    if self.modified else None)
        return {"title": self.title, "text": self.text, "lang": self.lang,
                "published_at": published, "modified_at": modified}


class CatalogError(ValueError):
    """A fixture YAML file is inconsistent; the message names the file."""


def _aware(value: Any, where: str) -> datetime:
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str):
        dt = datetime.fromisoformat(value)
    else:
        raise CatalogError(f"{where}: expected an ISO datetime with offset, got {value!r}")
    if dt.tzinfo is None:
        raise CatalogError(f"{where}: datetime {value!r} has no UTC offset")
    return dt


def _number(outlet: str, slug: str) -> int:
    return int(hashlib.sha1(f"{outlet}/{slug}".encode()).hexdigest()[:8], 16) % 90000 + 10000


def _article_path(outlet: Outlet, slug: str, local: datetime, number: int) -> str:
    if outlet.url_style == "date":
        return f"/{outlet.name}/{local:%Y/%m/%d}/{slug}/"
    return f"/{outlet.name}/news/{number}-{slug}.html"


def _parse(path: Path) -> SampleArticle:
    where = str(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    outlet_name = path.parent.name
    if outlet_name not in OUTLETS:
        raise CatalogError(f"{where}: unknown outlet directory {outlet_name!r}")
    outlet = OUTLETS[outlet_name]
    slug = path.stem
    for key in ("title", "author", "published", "body", "relevant"):
        if key not in data:
            raise CatalogError(f"{where}: missing key {key!r}")
    published = _aware(data["published"], f"{where}: published")
    modified = _aware(data["modified"], f"{where}: modified") if data.get("modified") else None
    signals = frozenset(data.get("signals", []))
    if signals - SIGNALS:
        raise CatalogError(f"{where}: unknown signals {sorted(signals - SIGNALS)}")
    byline = data.get("byline")
    if byline is not None and byline not in dates.BYLINE_STYLES:
        raise CatalogError(f"{where}: unknown byline style {byline!r}")
    iso_style = data.get("iso", "local")
    if iso_style not in ISO_STYLES:
        raise CatalogError(f"{where}: unknown iso style {iso_style!r}")
    if byline == "relative" and not signals:
        raise CatalogError(f"{where}: a relative byline needs a machine-readable date beside it")
    if not signals and byline in (None, "relative") and outlet.url_style != "date":
        raise CatalogError(f"{where}: the page would carry no publication date at all")
    charset = data.get("charset", "header+meta")
    if charset not in CHARSET_PLACES:
        raise CatalogError(f"{where}: unknown charset placement {charset!r}")
    body = tuple(str(b).strip() for b in data["body"])
    if not body or all(b.startswith("## ") for b in body):
        raise CatalogError(f"{where}: body has no paragraph")
    read_also = None
    if data.get("read_also"):
        read_also = (int(data["read_also"]["after"]), str(data["read_also"]["slug"]))
    section = data.get("section", next(iter(outlet.sections)))
    if section not in outlet.sections:
        raise CatalogError(f"{where}: section {section!r} not among {sorted(outlet.sections)}")
    comments = tuple(Comment(c["author"], _aware(c["date"], f"{where}: comment date"), c["text"])
                     for c in data.get("comments", []))
    number = _number(outlet_name, slug)
    local = published.astimezone(outlet.tz)
    encoding = data.get("encoding", "utf-8")
    try:
        str(data["title"]).encode(encoding)
    except UnicodeEncodeError as exc:
        raise CatalogError(f"{where}: title not representable in {encoding}: {exc}") from exc
    return SampleArticle(
        slug=slug, outlet=outlet_name, lang=data.get("lang", outlet.lang),
        title=str(data["title"]).strip(), body=body, author=str(data["author"]),
        published=published, modified=modified, relevant=bool(data["relevant"]),
        encoding=encoding, path=data.get("path") or _article_path(outlet, slug, local, number),
        section=section, tags=tuple(data.get("tags", [])), signals=signals, byline=byline,
        iso_style=iso_style, charset=charset, read_also=read_also, comments=comments,
        comment_markup=data.get("comment_markup", "standard"),
        archive=bool(data.get("archive", False)), number=number,
        template=data.get("template", "article"))


@functools.lru_cache(maxsize=1)
def _load_all() -> tuple[SampleArticle, ...]:
    articles = [_parse(p) for p in sorted(ARTICLES_DIR.glob("*/*.yaml"))]
    seen: dict[str, str] = {}
    for a in articles:
        if a.slug in seen:
            raise CatalogError(f"duplicate slug {a.slug!r} in {a.outlet} and {seen[a.slug]}")
        seen[a.slug] = a.outlet
    by_slug = {a.slug: a for a in articles}
    for a in articles:
        if a.read_also and a.read_also[1] not in by_slug:
            raise CatalogError(f"{a.outlet}/{a.slug}: read_also points to unknown {a.read_also[1]!r}")
    articles.sort(key=lambda a: (a.outlet, -a.published.timestamp()))
    return tuple(articles)


def load_articles() -> list[SampleArticle]:
    """Every article on the site (hostile outlet and 2019 archive entries included)."""
    return list(_load_all())


def get_article(slug: str) -> SampleArticle:
    for a in _load_all():
        if a.slug == slug:
            return a
    raise KeyError(f"no sample article with slug {slug!r}")


def outlet_articles(outlet: str, *, archive: bool | None = False) -> list[SampleArticle]:
    """An outlet's articles, newest first; ``archive=None`` includes the 2019 entries."""
    return [a for a in _load_all()
            if a.outlet == outlet and (archive is None or a.archive == archive)]


def local_date(dt: datetime, outlet: str) -> date:
    return dt.astimezone(OUTLETS[outlet].tz).date()
