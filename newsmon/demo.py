"""The offline demo: the bundled sample news site, crawled by the real spider and pipelines.

A fresh machine may have no route to real news sites, so `newsmon demo` shows the whole chain
on the sample site served from 127.0.0.1: every discovery method (RSS, Atom, sitemap index with
a gzip sitemap, Google News sitemap, feed autodiscovery, WordPress search, section pages) and a
hostile outlet (404, 500, slow, redirect loop, robots-disallowed, PDF, 20 MB page, malformed
HTML, consent wall) that must not stop the others.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from newsmon.sample_site.catalog import OUTLETS

DEMO_PORT = 8765
DEMO_SEARCHES = ["Kazakhstan", "Maroc", "كازاخستان", "Марокко", "Қазақстан", "Kazakistan", "Marruecos"]
# The sample articles date from 2025 on; a window that reaches back to then (and no further)
# shows the age filter at work on the feeds' 2019 archive entries.
SAMPLE_EPOCH = date(2025, 1, 1)


def demo_max_age(today: date | None = None) -> int:
    return ((today or date.today()) - SAMPLE_EPOCH).days + 30


def demo_sources(base_url: str) -> list[dict]:
    """One source per sample outlet, each discovered a different way."""
    o = OUTLETS

    def src(name: str, **how: object) -> dict:
        outlet = o[name]
        return {"name": f"sample-{name}", "language": outlet.lang, "locale": outlet.locale,
                "timezone": outlet.timezone, "delay": 0, "concurrency": 8, **how}

    b = base_url
    return [
        src("atlas-ar", feeds=[b + o["atlas-ar"].feed_path]),
        src("atlas-fr", sitemaps=[b + "/atlas-fr/sitemap_index.xml"]),
        src("levant-ar", feeds=[b + o["levant-ar"].feed_path]),
        src("steppe-ru", feeds=[b + o["steppe-ru"].feed_path]),
        src("steppe-kk", homepage=b + "/steppe-kk/"),
        src("steppe-en", sitemaps=[b + "/steppe-en/news-sitemap.xml"]),
        src("nova-it", search=[b + "/nova-it/?s={query}"]),
        src("mundo-es", sections=[b + "/mundo-es/category/internacional/"], section_depth=1,
            search=[b + "/mundo-es/wp-json/wp/v2/posts?search={query}"]),
        src("hostile", feeds=[b + "/hostile/feed/"]),
    ]


def write_demo_sources(base_url: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "# Written by `newsmon demo`: the bundled sample site, one source per outlet.\n"
    path.write_text(header + yaml.safe_dump({"sources": demo_sources(base_url)}, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path
