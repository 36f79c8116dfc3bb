"""Dates stage speed and accuracy on the byline table (tests/fixtures/dates/cases.tsv).

Prints: the first call's cost (imports, regex/grammar build, zoneinfo load), warm parses/s over
the table, the slowest warm single call, ms/page for page_dates on the trap pages (and the
sample site's article pages when present), and plain dateparser's accuracy on the same table
for comparison (language set, TIMEZONE=tz, TO_TIMEZONE=UTC, RELATIVE_BASE=base).
Not a timed test: run ``.venv/bin/python benchmarks/dates.py`` on an idle core.
"""

from __future__ import annotations

import csv
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsmon.sample_site import catalog, render  # noqa: E402
from pipelines.dates.normalize import parse_date  # noqa: E402
from pipelines.dates.page import page_dates  # noqa: E402
from pipelines.html import decode_html  # noqa: E402
TABLE = ROOT / "tests" / "fixtures" / "dates" / "cases.tsv"
PAGES = ROOT / "tests" / "fixtures" / "dates" / "pages"
DEFAULT_BASE = datetime(2025, 3, 21, 10, 0, tzinfo=timezone.utc)
ROUNDS = 20


def load_cases() -> list[dict]:
    with TABLE.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t"))
    for row in rows:
        row["base_dt"] = datetime.fromisoformat(row["base"].replace("Z", "+00:00")) if row["base"] else DEFAULT_BASE
    return rows


def main() -> None:
    t0 = time.perf_counter()

    first = parse_date("Publié le 21 févr. 2025 à 14h30", "fr", "Europe/Paris", DEFAULT_BASE)
    first_ms = (time.perf_counter() - t0) * 1000
    assert first is not None
    cases = load_cases()

    def run(row):
        return parse_date(row["text"], row["lang"] or None, row["tz"], row["base_dt"], row["locale"] or None)

    for row in cases:  # warm every language's grammar once
        run(row)
    right = sum((p.iso() if (p := run(r)) else "") == r["expected"] for r in cases)
    worst, worst_text = 0.0, ""
    start = time.perf_counter()
    for _ in range(ROUNDS):
        for row in cases:
            t = time.perf_counter()
            run(row)
            dt = time.perf_counter() - t
            if dt > worst:
                worst, worst_text = dt, row["text"]
    elapsed = time.perf_counter() - start
    n = ROUNDS * len(cases)
    print(f"first call (imports + grammar + zone): {first_ms:.0f} ms")
    print(f"table: {len(cases)} cases, {right}/{len(cases)} right ({100 * right / len(cases):.1f}%)")
    print(f"warm: {n / elapsed:,.0f} parses/s on one core; slowest call {worst * 1000:.2f} ms ({worst_text!r})")

    # fallback path (dateparser) cost, for shapes the fast path does not know
    fallback = ("Veröffentlicht am 21. Februar 2025, 14:30 Uhr", "de", "Europe/Berlin", DEFAULT_BASE)
    t = time.perf_counter()
    parse_date(*fallback)
    cold = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    for _ in range(50):
        parse_date(*fallback)
    warm = (time.perf_counter() - t) / 50 * 1000
    print(f"dateparser fallback (shapes/languages the fast path lacks): first call {cold:.0f} ms "
          f"(dateparser import + locale load), then {warm:.2f} ms/call")

    page_bench()
    plain_dateparser(cases)


def page_bench() -> None:
    pages = [(p.read_text(encoding="utf-8"), f"https://x.example/{p.stem}") for p in sorted(PAGES.glob("*.html"))]
    label = f"{len(pages)} trap pages"
    for article in catalog.load_articles():
        body, ctype = render.render_article(article.slug, article.published + timedelta(days=1))
        pages.append((decode_html(body, ctype), "http://127.0.0.1:8000" + article.path))
    label += f" + {len(catalog.load_articles())} sample-site articles"
    fetched = DEFAULT_BASE + timedelta(days=400)
    for html, url in pages:  # warm
        page_dates(html, url, None, "Africa/Casablanca", fetched)
    worst = 0.0
    start = time.perf_counter()
    for _ in range(ROUNDS):
        for html, url in pages:
            t = time.perf_counter()
            page_dates(html, url, None, "Africa/Casablanca", fetched)
            worst = max(worst, time.perf_counter() - t)
    per_page = (time.perf_counter() - start) / (ROUNDS * len(pages)) * 1000
    print(f"page_dates: {per_page:.2f} ms/page warm over {label}; slowest page {worst * 1000:.2f} ms")


def plain_dateparser(cases: list[dict]) -> None:
    """What dateparser alone gets right on the same table (date part only for date-only rows)."""
    import dateparser

    right, start = 0, time.perf_counter()
    for row in cases:
        settings = {
            "TIMEZONE": row["tz"], "TO_TIMEZONE": "UTC", "RETURN_AS_TIMEZONE_AWARE": True,
            "RELATIVE_BASE": row["base_dt"].astimezone(__import__("zoneinfo").ZoneInfo(row["tz"])).replace(tzinfo=None),
            "PREFER_DATES_FROM": "past",
        }
        kwargs = {"locales": [row["locale"]]} if row["locale"] in ("ar-MA", "en-GB") else {}
        if not kwargs and row["lang"]:
            kwargs = {"languages": [row["lang"]]}
        try:
            got = dateparser.parse(row["text"], settings=settings, **kwargs)
        except Exception:
            got = None
        expected = row["expected"]
        if not expected:
            right += got is None
        elif got is not None:
            if "T" in expected:
                right += got.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") == expected
            else:  # plain dateparser cannot say "no time"; give it the local calendar date
                local = dateparser.parse(row["text"], settings={"PREFER_DATES_FROM": "past",
                                         "RELATIVE_BASE": settings["RELATIVE_BASE"]}, **kwargs)
                right += local is not None and local.date().isoformat() == expected
    rate = len(cases) / (time.perf_counter() - start)
    print(f"plain dateparser on the table: {right}/{len(cases)} right ({100 * right / len(cases):.1f}%), ~{rate:,.0f} parses/s")


if __name__ == "__main__":
    main()
