"""Score newsmon's extraction against plain trafilatura on the golden corpus, and time it.

    .venv/bin/python benchmarks/extract.py            # per-page table, summary, speed
    .venv/bin/python benchmarks/extract.py --markdown # the same table as Markdown (for the README)
    .venv/bin/python benchmarks/extract.py --heldout  # the held-out pages instead, with what leaked

Inputs: every ``tests/fixtures/extract/**/<page>.json`` whose ``expected.page_kind`` is
``article`` (pages frozen from the sample site by ``scripts/freeze_extract_fixtures.py``, plus
hand-written ones under ``extra/``). For each page and each runner:

* **F1** — token F1 (bag of lower-cased ``\\w+`` words) of the extracted text against the
  expected text: 1.0 means the same words, leaks lower precision, losses lower recall;
* **title** — exact match of the headline (whitespace collapsed);
* **leaks** — how many of the page's ``without`` strings (boilerplate it shows) are in the text.

Runners: ``newsmon`` is :func:`pipelines.extract.extract` after :func:`decode_html` (the stage
a crawl runs); ``trafilatura`` is trafilatura 2.x "as it comes": ``extract(html, url=url)``
for the text and ``extract_metadata`` for the title. The test gate
(``tests/test_extract_corpus.py``) imports this module, so the numbers printed here are the
numbers the gate enforces.

``--heldout`` scores ``tests/fixtures/extract_heldout/`` instead: hand-written pages in markups
the cleaning rules were never tuned on (Drupal, Next.js, Bitrix, AMP, Blogger, Medium, Joomla/K2,
ASP.NET WebForms), so their numbers are an out-of-sample estimate; the gate on them is
``tests/test_extract_heldout.py``. Speed is not measured there.

Speed: pages/s over the corpus (one core, warm), and the median over 30 warm runs for a ~100 KB
page (the largest corpus article grown to 100 KB with the chrome real pages carry: inline CSS,
a mega-menu and footer link lists).
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from pipelines.extract import extract
from pipelines.html import decode_html  # noqa: E402

CORPUS = ROOT / "tests" / "fixtures" / "extract"
HELDOUT = ROOT / "tests" / "fixtures" / "extract_heldout"
_TOKEN = re.compile(r"\w+")


@dataclass
class Page:
    name: str
    body: bytes
    meta: dict
    expected: dict
    without: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.meta["url"]

    @property
    def html(self) -> str:
        return decode_html(self.body, self.meta.get("content_type"))


def load_corpus(root: Path = CORPUS, kind: str | None = "article") -> list[Page]:
    """Frozen pages with their golden JSON; ``kind=None`` returns every page."""
    pages = []
    for spec in sorted(root.rglob("*.json")):
        record = json.loads(spec.read_text(encoding="utf-8"))
        if "expected" not in record:
            continue
        if kind is not None and record["expected"].get("page_kind") != kind:
            continue
        body = gzip.decompress(spec.with_suffix(".html.gz").read_bytes())
        pages.append(Page(str(spec.relative_to(root).with_suffix("")), body, record["meta"],
                          record["expected"], record.get("without", [])))
    return pages


def load_heldout(root: Path = HELDOUT) -> list[Page]:
    """Held-out pages: ``<name>.html`` as served plus ``<name>.json`` (url, content_type, expected, without).

    Plain files rather than the golden corpus's gzip + meta layout: they are written by hand, not
    frozen from a server, and reviewing them as text diffs is the point.
    """
    pages = []
    for spec in sorted(root.glob("*.json")):
        record = json.loads(spec.read_text(encoding="utf-8"))
        meta = {"url": record["url"], "content_type": record["content_type"]}
        pages.append(Page(spec.stem, spec.with_suffix(".html").read_bytes(), meta, record["expected"],
                          record.get("without", [])))
    return pages


def tokens(text: str) -> Counter[str]:
    return Counter(_TOKEN.findall(unicodedata.normalize("NFKC", text or "").casefold()))


def token_f1(got: str, want: str) -> float:
    g, w = tokens(got), tokens(want)
    if not g and not w:
        return 1.0
    common = sum((g & w).values())
    if not common:
        return 0.0
    precision, recall = common / sum(g.values()), common / sum(w.values())
    return 2 * precision * recall / (precision + recall)


def same_title(got: str | None, want: str | None) -> bool:
    def norm(t: str | None) -> str:
        return re.sub(r"\s+", " ", t or "").strip()
    return norm(got) == norm(want)


def leaks(text: str, without: list[str]) -> list[str]:
    return [snippet for snippet in without if snippet in (text or "")]


# -- runners -------------------------------------------------------------------------------------
def run_newsmon(page: Page) -> tuple[str | None, str]:
    result = extract(page.html, page.url)
    return result.title, result.text


def run_trafilatura(page: Page) -> tuple[str | None, str]:
    html = page.html
    text = trafilatura.extract(html, url=page.url) or ""
    meta = trafilatura.extract_metadata(html, default_url=page.url)
    return (meta.title if meta else None), text


RUNNERS: dict[str, Callable[[Page], tuple[str | None, str]]] = {"newsmon": run_newsmon, "trafilatura": run_trafilatura}


@dataclass
class Score:
    f1: float
    title_ok: bool
    leaked: list[str]


def score(page: Page, runner: Callable[[Page], tuple[str | None, str]]) -> Score:
    title, text = runner(page)
    return Score(token_f1(text, page.expected["text"]), same_title(title, page.expected["title"]),
                 leaks(text, page.without))


def score_corpus(pages: list[Page]) -> dict[str, dict[str, Score]]:
    """{page name: {runner: Score}}."""
    return {page.name: {name: score(page, runner) for name, runner in RUNNERS.items()} for page in pages}


# -- speed ---------------------------------------------------------------------------------------
def grow_page(html: str, target: int = 100_000) -> str:
    """A corpus page grown to ~``target`` bytes of realistic chrome (CSS, menus, footer links)."""
    css = "<style>" + "".join(f".td-block-{i}{{margin:{i % 7}px;padding:0 {i % 5}px}}" for i in range(600)) + "</style>"
    links = "".join(f'<li class="menu-item"><a href="/section/{i}/">Rubrique numéro {i}</a></li>' for i in range(40))
    chunk = f'<div class="footer-widget"><ul class="menu">{links}</ul></div>'
    html = html.replace("</head>", css + "</head>", 1)
    extra = []
    while len(html.encode()) + sum(map(len, extra)) < target:
        extra.append(chunk)
    return html.replace("</body>", "".join(extra) + "</body>", 1)


def time_pages(pages: list[Page], runner: Callable[[Page], object]) -> float:
    """Pages per second over the corpus (one pass warm-up, one timed pass)."""
    for page in pages[:3]:
        runner(page)
    started = time.perf_counter()
    for page in pages:
        runner(page)
    return len(pages) / (time.perf_counter() - started)


def median_ms_100kb(pages: list[Page], runs: int = 30, clock=time.perf_counter) -> tuple[float, int]:
    """Median ms of decode+extract for one ~100 KB page, warm; returns (ms, page bytes).

    `clock=time.process_time` counts CPU time only, which a loaded machine does not inflate."""
    biggest = max(pages, key=lambda p: len(p.body))
    big = grow_page(biggest.html).encode()
    content_type = "text/html; charset=utf-8"
    for _ in range(3):
        extract(decode_html(big, content_type), biggest.url)
    samples = []
    for _ in range(runs):
        started = clock()
        extract(decode_html(big, content_type), biggest.url)
        samples.append((clock() - started) * 1000)
    return statistics.median(samples), len(big)


# -- report --------------------------------------------------------------------------------------
def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, Python {platform.python_version()}, trafilatura {trafilatura.__version__}"


def summary(scores: dict[str, dict[str, Score]]) -> dict[str, dict[str, float]]:
    out = {}
    for runner in RUNNERS:
        rows = [per[runner] for per in scores.values()]
        out[runner] = {"mean_f1": statistics.fmean(r.f1 for r in rows), "min_f1": min(r.f1 for r in rows),
                       "leaks": sum(len(r.leaked) for r in rows), "titles": sum(r.title_ok for r in rows),
                       "pages": len(rows)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="extraction quality and speed on the golden corpus")
    parser.add_argument("--markdown", action="store_true", help="print the per-page table as Markdown")
    parser.add_argument("--heldout", action="store_true",
                        help=f"score the held-out pages ({HELDOUT.relative_to(ROOT)}) and list what leaked; no speed runs")
    args = parser.parse_args(argv)
    root = HELDOUT if args.heldout else CORPUS
    pages = load_heldout() if args.heldout else load_corpus()
    if not pages:
        print(f"no article pages under {root}", file=sys.stderr)
        return 1
    scores = score_corpus(pages)
    if args.markdown:
        print("| page | newsmon F1 | trafilatura F1 | newsmon leaks | trafilatura leaks | titles (n/t) |")
        print("|---|---:|---:|---:|---:|:---:|")
    else:
        print(f"{'page':50} {'newsmon':>8} {'trafil.':>8} {'leaks':>7} {'titles':>7}")
    for name, per in scores.items():
        n, t = per["newsmon"], per["trafilatura"]
        titles = f"{'✓' if n.title_ok else '✗'}/{'✓' if t.title_ok else '✗'}"
        if args.markdown:
            print(f"| {name} | {n.f1:.3f} | {t.f1:.3f} | {len(n.leaked)} | {len(t.leaked)} | {titles} |")
        else:
            print(f"{name:50} {n.f1:8.3f} {t.f1:8.3f} {len(n.leaked):>3}/{len(t.leaked):<3} {titles:>7}")
    print()
    for runner, s in summary(scores).items():
        print(f"{runner:12} mean F1 {s['mean_f1']:.4f}  min F1 {s['min_f1']:.4f}  leaks {s['leaks']:.0f}  "
              f"titles {s['titles']:.0f}/{s['pages']:.0f}")
    if args.heldout:
        for name, per in scores.items():
            for runner, sc in per.items():
                if sc.leaked:
                    print(f"{name} {runner} leaked: {sc.leaked}")
        print(f"machine: {machine()}")
        return 0
    for runner, fn in RUNNERS.items():
        print(f"{runner:12} {time_pages(pages, fn):.1f} pages/s (one core, warm, decode+extract)")
    ms, size = median_ms_100kb(pages)
    print(f"newsmon      {ms:.1f} ms median for one {size / 1000:.0f} KB page (30 warm runs)")
    print(f"machine: {machine()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
