"""Freeze the sample site's pages into the extraction golden corpus (fundus style).

    .venv/bin/python scripts/freeze_extract_fixtures.py          # rewrite tests/fixtures/extract/
    .venv/bin/python scripts/freeze_extract_fixtures.py --check  # exit 1 if the frozen files differ

Each page becomes ``tests/fixtures/extract/<outlet>/<name>.html.gz`` (the bytes as served, so
charset handling is tested too) beside ``<name>.json`` with:

* ``expected`` — what a perfect pipeline extracts: for articles title, text, lang, dates and
  canonical URL straight from the catalog; for other pages only ``page_kind``;
* ``meta`` — URL, Content-Type header, fetch time (the "now" relative dates count from),
  source timezone and locale;
* ``without`` — boilerplate strings this page shows that must never reach the stored text
  (widget labels, today/weather, comment texts, related headlines), minus any that the article
  itself contains.

Pages are rendered in-process through the site's router (``newsmon.sample_site.site.dispatch``),
at a fixed base URL and a fixed fetch time, so re-running is byte-for-byte stable and any change
shows up as a reviewable diff. Files under ``extra/`` are hand-written and left alone.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsmon.sample_site import render, site  # noqa: E402
from newsmon.sample_site.catalog import OUTLETS, SampleArticle, load_articles  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "extract"
BASE_URL = "http://127.0.0.1:8765"
FETCHED_AT = datetime(2026, 1, 15, 9, 30, tzinfo=timezone.utc)
# Widget labels that are boilerplate wherever they appear (dates.words keys).
LEAK_KEYS = ("nav", "ad", "share", "share_on", "cookie", "cookie_ok", "newsletter", "newsletter_text",
             "newsletter_button", "related", "read_also", "most_read", "comments", "comment_form",
             "comment_note", "comment_fields", "comment_submit", "reply", "back_to_top", "close",
             "show_more", "rights", "read_more", "views", "updated", "published")
SEED_CLUTTER = ("poup", "Publicité gauche", "LAISSER UN COMMENTAIRE", "اترك تعليقاً", "زر الذهاب إلى الأعلى",
                "مقالات ذات صلة", "اظهر المزيد")


def gzip_stable(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


def leaks_for(a: SampleArticle | None, outlet_name: str, expected_text: str, title: str) -> list[str]:
    """Boilerplate this page shows that the stored text must not contain."""
    ctx = render.site_context(OUTLETS[outlet_name], FETCHED_AT, BASE_URL)
    words = ctx["W"]
    found: list[str] = [s for key in LEAK_KEYS for s in _strings(words.get(key))]
    found += [ctx["today"], ctx["weather"], *SEED_CLUTTER, *(link.title for link in ctx["most_read"])]
    if a is not None:
        found += [c.text for c in a.comments] + [c.author for c in a.comments]
        found.append(f"{words['by']} {a.author}")
        if a.read_also:
            found.append(next(x.title for x in load_articles() if x.slug == a.read_also[1]))
    haystack = f"{title}\n{expected_text}".casefold()
    kept = {s.strip() for s in found if len(s.strip()) >= 4 and s.strip().casefold() not in haystack}
    return sorted(kept)


def _write(path: Path, body: bytes, record: dict) -> list[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    html_path = path.with_suffix(".html.gz")
    json_path = path.with_suffix(".json")
    html_path.write_bytes(gzip_stable(body))
    json_path.write_text(json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return [html_path, json_path]


def _meta(url: str, response: site.Response, outlet: str) -> dict:
    o = OUTLETS[outlet]
    return {"url": url, "content_type": response.content_type, "status": response.status,
            "fetched_at": FETCHED_AT.isoformat().replace("+00:00", "Z"),
            "timezone": o.timezone, "locale": o.locale, "theme": o.theme}


def freeze_articles() -> list[Path]:
    written: list[Path] = []
    for a in load_articles():
        response = site.dispatch(a.path, BASE_URL, FETCHED_AT)
        if response.status != 200 or not isinstance(response.body, bytes) or "html" not in (response.content_type or ""):
            continue  # hostile entries served as errors, PDFs or streams: covered by kind tests
        url = BASE_URL + a.path
        expected = {**a.expected(), "canonical_url": url, "page_kind": "article"}
        record = {"expected": expected, "meta": _meta(url, response, a.outlet),
                  "without": leaks_for(a, a.outlet, expected["text"], expected["title"])}
        written += _write(FIXTURES / a.outlet / a.slug, response.body, record)
    return written


def non_article_pages() -> list[tuple[str, str, str, str]]:
    """(outlet, fixture name, path, expected page kind) for listings and hostile pages."""
    pages = []
    articles = load_articles()
    for name, outlet in OUTLETS.items():
        if name == "hostile":
            continue
        first = next(a for a in articles if a.outlet == name and not a.archive)
        pages.append((name, "_home", f"/{name}/", "listing"))
        pages.append((name, "_category", f"/{name}/category/{next(iter(outlet.sections))}/", "listing"))
        if first.tags:
            pages.append((name, "_tag", f"/{name}/tag/{first.tags[0]}/", "tag"))
        query = first.title.split()[0]
        pages.append((name, "_search", f"/{name}/?s={query}", "search"))
    pages += [("hostile", "_soft404", "/hostile/soft404", "not-found"),
              ("hostile", "_consent", "/hostile/consent", "challenge"),
              ("hostile", "_404", "/hostile/404", "not-found")]
    return pages


def freeze_non_articles() -> list[Path]:
    written: list[Path] = []
    for outlet, fixture, path, kind in non_article_pages():
        response = site.dispatch(path, BASE_URL, FETCHED_AT)
        if not isinstance(response.body, bytes):
            continue
        url = BASE_URL + path
        record = {"expected": {"page_kind": kind}, "meta": _meta(url, response, outlet),
                  "without": []}
        written += _write(FIXTURES / outlet / fixture, response.body, record)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the frozen files instead of writing")
    args = parser.parse_args(argv)
    if args.check:
        import tempfile

        global FIXTURES
        real, FIXTURES = FIXTURES, Path(tempfile.mkdtemp())
        fresh = freeze_articles() + freeze_non_articles()
        stale = []
        for path in fresh:
            frozen = real / path.relative_to(FIXTURES)
            if not frozen.exists() or frozen.read_bytes() != path.read_bytes():
                stale.append(path)
        for p in stale:
            print(f"differs: {p.relative_to(FIXTURES)}")
        return 1 if stale else 0
    written = freeze_articles() + freeze_non_articles()
    print(f"wrote {len(written) // 2} pages under {FIXTURES.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
