"""Score newsmon on real, archived news pages nobody here wrote, beside trafilatura and htmldate.

    .venv/bin/python benchmarks/realpages.py                 # both sets, tuning + held-out parts
    .venv/bin/python benchmarks/realpages.py --markdown      # the table as Markdown (README)
    .venv/bin/python benchmarks/realpages.py --part tuning   # only the tuning part (while tuning)
    .venv/bin/python benchmarks/realpages.py --worst FILE    # where the worst pages go
                                                             # (default: the cache dir, worst.txt)

The sets are ``extraction-dev.tar.xz`` and ``dates-dev.tar.xz`` in ``$NEWSMON_REALPAGES``
(default ``../shared/realpages`` beside the repository); see the README there. They are unpacked
once into ``~/.cache/newsmon-realpages`` (never into the repository).

Scoring, as the sets' README says:

* **Extraction** (trafilatura's method): whitespace is normalised in the text and in every
  snippet; a ``with`` snippet found is a true positive, missing a false negative; a ``without``
  snippet found is a false positive. Counts are summed over the pages, then P, R, F1. A page
  with no text counts all its ``with`` snippets as false negatives. Also: pages with no text,
  pages whose own F1 is below 0.5.
* **Dates**: right when the published date, in UTC, is on the ``date`` day; also "right in the
  page's own zone" (the date as the page wrote it, with its own offset). No date is a miss.
  The two pages whose truth is empty are left out. "local-only" counts the pages right in the
  page's zone but on another day in UTC (a 01:00+05:30 or 20:53-04:00 publication): the labels
  are the publication day in the page's own zone, so a runner that keeps the time cannot score
  these in UTC, and one that returns days only (htmldate) scores them by dropping the time.

Runners, in the same run on the same bytes:

* ``newsmon``: :func:`pipelines.page.process_page`, every stage (extract, language, dates,
  relevance with the default topics and ``keep_all``): the crawl's own path. A page it judges
  not to be an article (a listing, say) is scored on the text and date it found all the same,
  as ``extract --batch`` prints them beside the kind; the "not articles" column counts them.
* ``trafilatura``: ``trafilatura.extract(html, url=url)`` with its defaults.
* ``htmldate``: ``find_date(html, url=url, extensive_search=True, original_date=True)``.

Every page is put in the tuning or the held-out part by a hash of its file name (about 25% held
out), so the split is fixed without looking at the pages. Rules were tuned on the tuning part
only; the held-out figures estimate what happens on pages nobody tuned on.

Speed: the median CPU time per page of each runner (``time.process_time``: warm, one process,
one core; unlike wall time it does not grow when other jobs share the machine).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import statistics
import sys
import tarfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import htmldate  # noqa: E402
import trafilatura  # noqa: E402

from newsmon.config import DEFAULT_TOPICS_FILE, load_topics  # noqa: E402
from pipelines.page import Hints, PageProcessor  # noqa: E402

ARCHIVES = {"extraction": "extraction-dev.tar.xz", "dates": "dates-dev.tar.xz"}
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsmon-realpages"
HELDOUT_SHARE = 4  # one page in four
FETCHED_AT = datetime(2026, 1, 1, tzinfo=timezone.utc)  # the snapshots are 2015-2021; any later moment will do


def data_dir() -> Path | None:
    """``$NEWSMON_REALPAGES``, else ``../shared/realpages`` next to the repository (or to the
    folder holding the repository's worktrees); None when neither exists."""
    env = os.environ.get("NEWSMON_REALPAGES")
    candidates = [Path(env)] if env else [ROOT.parent / "shared" / "realpages", ROOT.parent.parent / "shared" / "realpages"]
    return next((c for c in candidates if (c / ARCHIVES["extraction"]).is_file() and (c / ARCHIVES["dates"]).is_file()), None)


def unpacked(source: Path, name: str) -> Path:
    """The archive's content in the cache, unpacked once (again when the archive changes)."""
    archive = source / ARCHIVES[name]
    stamp = f"{archive.stat().st_size}-{int(archive.stat().st_mtime)}"
    target = CACHE / name
    marker = target / ".unpacked"
    if marker.is_file() and marker.read_text() == stamp:
        return target
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:xz") as tar:
        tar.extractall(target, filter="data")
    marker.write_text(stamp)
    return target


def part_of(name: str) -> str:
    """'heldout' for about a quarter of the file names, 'tuning' for the rest; fixed forever."""
    return "heldout" if int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % HELDOUT_SHARE == 0 else "tuning"


@dataclass
class Page:
    key: str
    url: str
    path: Path
    part: str
    truth: dict

    def body(self) -> bytes:
        return self.path.read_bytes()


def load_extraction(source: Path) -> list[Page]:
    root = unpacked(source, "extraction")
    data = json.loads((root / "evaldata.json").read_text(encoding="utf-8"))
    pages = []
    for key, item in data.items():
        # "hard::FILE" keys have no address: a neutral file path stands in (never "/", a home page).
        url = key if key.startswith("http") else f"file:///realpages/{item['file']}"
        pages.append(Page(key, url, root / "html" / item["file"], part_of(item["file"]), item))
    return sorted(pages, key=lambda p: p.key)


def load_dates(source: Path) -> list[Page]:
    root = unpacked(source, "dates")
    data = json.loads((root / "dates.json").read_text(encoding="utf-8"))
    pages = [Page(url, url, root / "html" / item["file"], part_of(item["file"]), item)
             for url, item in data.items() if isinstance(item.get("date"), str)]
    return sorted(pages, key=lambda p: p.key)


# -- runners ------------------------------------------------------------------------------------
@dataclass
class Outcome:
    text: str = ""
    published: str | None = None  # ISO date or date-time with offset, as the runner gives it
    kind: str = ""
    seconds: float = 0.0


def newsmon_runner():
    processor = PageProcessor(load_topics(DEFAULT_TOPICS_FILE), keep_all=True, keep_found=True)

    def run(page: Page, body: bytes) -> Outcome:
        started = time.process_time()
        result = processor(body, page.url, Hints(fetched_at=FETCHED_AT))
        seconds = time.process_time() - started
        kind = "article" if result.article is not None else result.dropped.reason if result.dropped else "dropped"
        # What newsmon found, whatever the verdict: `extract --batch` prints a listing's text
        # beside its kind. The record carries the headline beside the body (the body does not
        # repeat it): both are what newsmon extracted, as trafilatura's text carries its headline.
        found = result.found()
        text = "\n".join(filter(None, (found.get("title"), found.get("text")))) if found.get("text") else ""
        return Outcome(text, found.get("published_at"), kind, seconds)

    return run


def trafilatura_run(page: Page, body: bytes) -> Outcome:
    started = time.process_time()
    text = trafilatura.extract(body, url=page.url)
    return Outcome(text or "", None, "", time.process_time() - started)  # no verdict on the page's kind


def htmldate_run(page: Page, body: bytes) -> Outcome:
    started = time.process_time()
    try:
        found = htmldate.find_date(body, url=page.url if page.url.startswith("http") else None,
                                   extensive_search=True, original_date=True)
    except Exception:  # noqa: BLE001 - a library failure is a miss, as for newsmon
        found = None
    return Outcome("", found, "", time.process_time() - started)


# -- scoring ------------------------------------------------------------------------------------
def norm_space(text: str) -> str:
    return " ".join(text.split())


@dataclass
class ExtractionScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    pages: int = 0
    empty: int = 0
    below_half: int = 0
    empty_where_other_has_text: int = 0
    non_articles: int = 0  # pages the runner judged not to be articles (their text is scored all the same)
    seconds: list[float] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def page_counts(text: str, truth: dict) -> tuple[int, int, int, int]:
    """(tp, fp, fn, tn) of one page's text against its snippets."""
    text = norm_space(text)
    tp = fn = fp = tn = 0
    for snippet in truth.get("with") or ():
        if text and norm_space(snippet) in text:
            tp += 1
        else:
            fn += 1
    for snippet in truth.get("without") or ():
        if text and norm_space(snippet) in text:
            fp += 1
        else:
            tn += 1
    return tp, fp, fn, tn


def page_f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


@dataclass
class DateScore:
    pages: int = 0
    right_utc: int = 0
    right_local: int = 0
    missing: int = 0
    # The instant is on the label's day in the page's own zone but on another day in UTC: the
    # labels are local days, so no runner that keeps the time can score these in UTC.
    local_day_only: int = 0
    seconds: list[float] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right_utc / self.pages if self.pages else 0.0

    @property
    def accuracy_local(self) -> float:
        return self.right_local / self.pages if self.pages else 0.0


def days_of(published: str | None) -> tuple[date, date] | None:
    """(day in UTC, day in the page's own zone) of an ISO date or date-time; None if no date."""
    if not published:
        return None
    try:
        moment = datetime.fromisoformat(published.replace("Z", "+00:00"))
    except ValueError:
        return None
    if len(published) <= 10 or moment.tzinfo is None:  # a calendar date: the same day everywhere
        return moment.date(), moment.date()
    return moment.astimezone(timezone.utc).date(), moment.date()


def run_extraction(pages: list[Page], runners: dict, worst: list) -> dict[str, dict[str, ExtractionScore]]:
    """{runner: {part: score}} over the extraction set; ``worst`` gets (part, runner, f1, key, why)."""
    scores: dict[str, dict[str, ExtractionScore]] = {name: {} for name in runners}
    for page in pages:
        body = page.body()
        results = {name: run(page, body) for name, run in runners.items()}
        for name, out in results.items():
            score = scores[name].setdefault(page.part, ExtractionScore())
            tp, fp, fn, tn = page_counts(out.text, page.truth)
            score.tp += tp
            score.fp += fp
            score.fn += fn
            score.tn += tn
            score.pages += 1
            score.seconds.append(out.seconds)
            empty = not out.text.strip()
            score.empty += empty
            score.non_articles += out.kind not in ("article", "")
            f1 = page_f1(tp, fp, fn)
            score.below_half += f1 < 0.5
            others_text = any(o.text.strip() for n, o in results.items() if n != name)
            score.empty_where_other_has_text += empty and others_text
            if name == "newsmon":
                ref = results.get("trafilatura")
                ref_f1 = page_f1(*page_counts(ref.text, page.truth)[:3]) if ref else 0.0
                worst.append((page.part, "extraction", f1 - ref_f1, f1, ref_f1, page.key, page.path.name,
                              f"kind={out.kind} chars={len(out.text)} tp={tp} fp={fp} fn={fn}"))
    return scores


def run_dates(pages: list[Page], runners: dict, worst: list) -> dict[str, dict[str, DateScore]]:
    scores: dict[str, dict[str, DateScore]] = {name: {} for name in runners}
    for page in pages:
        body = page.body()
        truth = date.fromisoformat(page.truth["date"])
        for name, run in runners.items():
            out = run(page, body)
            score = scores[name].setdefault(page.part, DateScore())
            score.pages += 1
            score.seconds.append(out.seconds)
            days = days_of(out.published)
            if days is None:
                score.missing += 1
            else:
                score.right_utc += days[0] == truth
                score.right_local += days[1] == truth
                score.local_day_only += days[1] == truth and days[0] != truth
            if name == "newsmon" and (days is None or days[0] != truth):
                worst.append((page.part, "dates", -1.0, 0.0, 0.0, page.key, page.path.name,
                              f"kind={out.kind} truth={truth} got={out.published}"))
    return scores


def merged(by_part: dict, parts: tuple[str, ...]):
    """One score summing the given parts."""
    kinds = {type(s) for s in by_part.values()}
    total = (kinds.pop() if kinds else ExtractionScore)()
    for part in parts:
        score = by_part.get(part)
        if score is None:
            continue
        for name, value in vars(score).items():
            setattr(total, name, getattr(total, name) + value)
    return total


def median_ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000 if seconds else math.nan


# -- report -------------------------------------------------------------------------------------
PARTS = {"tuning": ("tuning",), "held-out": ("heldout",), "all": ("tuning", "heldout")}


def report(ext: dict, dat: dict, parts: list[str], markdown: bool) -> str:
    lines = []
    if markdown:
        lines.append("| part | runner | F1 | P | R | empty | F1 < 0.5 | not articles | pages | ms/page (median) |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|")
    else:
        lines.append(f"{'EXTRACTION':<10} {'part':<9} {'runner':<12} {'F1':>6} {'P':>6} {'R':>6} {'empty':>6} "
                     f"{'<0.5':>5} {'!art':>5} {'pages':>6} {'ms/page':>8}")
    for part in parts:
        for name, by_part in ext.items():
            s = merged(by_part, PARTS[part])
            judged = str(s.non_articles) if name == "newsmon" else "-"
            cells = [part, name, f"{s.f1:.3f}", f"{s.precision:.3f}", f"{s.recall:.3f}", str(s.empty),
                     str(s.below_half), judged, str(s.pages), f"{median_ms(s.seconds):.1f}"]
            lines.append("| " + " | ".join(cells) + " |" if markdown else
                         f"{'':<10} {cells[0]:<9} {cells[1]:<12} {cells[2]:>6} {cells[3]:>6} {cells[4]:>6} "
                         f"{cells[5]:>6} {cells[6]:>5} {cells[7]:>5} {cells[8]:>6} {cells[9]:>8}")
    lines.append("")
    if markdown:
        lines.append("| part | runner | right day (UTC) | right day (page's zone) | right in page's zone only | no date "
                     "| pages | ms/page (median) |")
        lines.append("|---|---|---|---|---|---|---|---|")
    else:
        lines.append(f"{'DATES':<10} {'part':<9} {'runner':<12} {'UTC':>6} {'local':>6} {'local-only':>10} {'none':>5} "
                     f"{'pages':>6} {'ms/page':>8}")
    for part in parts:
        for name, by_part in dat.items():
            s = merged(by_part, PARTS[part])
            cells = [part, name, f"{s.accuracy:.1%}", f"{s.accuracy_local:.1%}", str(s.local_day_only), str(s.missing),
                     str(s.pages), f"{median_ms(s.seconds):.1f}"]
            lines.append("| " + " | ".join(cells) + " |" if markdown else
                         f"{'':<10} {cells[0]:<9} {cells[1]:<12} {cells[2]:>6} {cells[3]:>6} {cells[4]:>10} "
                         f"{cells[5]:>5} {cells[6]:>6} {cells[7]:>8}")
    return "\n".join(lines)


FIGURES = ROOT / "benchmarks" / "realpages_figures.json"


def extraction_figures(source: Path) -> dict[str, float]:
    """newsmon's extraction figures over the whole set (what the quality gate checks)."""
    ext = run_extraction(load_extraction(source), {"newsmon": newsmon_runner()}, [])
    e = merged(ext["newsmon"], PARTS["all"])
    return {"f1": round(e.f1, 4), "empty": e.empty}


def date_figures(source: Path) -> dict[str, float]:
    """newsmon's date figures over the whole set (what the quality gate checks)."""
    dat = run_dates(load_dates(source), {"newsmon": newsmon_runner()}, [])
    d = merged(dat["newsmon"], PARTS["all"])
    return {"date_accuracy": round(d.accuracy, 4), "date_accuracy_local": round(d.accuracy_local, 4),
            "no_date": d.missing}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    parser.add_argument("--part", choices=("tuning", "held-out", "all"), help="only this part (default: all three)")
    parser.add_argument("--worst", type=Path, help="file for the worst pages (default: CACHE/worst.txt)")
    parser.add_argument("--only", choices=("extraction", "dates"), help="only one set")
    parser.add_argument("--record", action="store_true",
                        help=f"write newsmon's figures over the whole sets to {FIGURES.name} (the gate's reference)")
    args = parser.parse_args(argv)
    source = data_dir()
    if source is None:
        print("no data: set NEWSMON_REALPAGES to the folder holding extraction-dev.tar.xz and dates-dev.tar.xz",
              file=sys.stderr)
        return 2
    if args.record:
        figures = {**extraction_figures(source), **date_figures(source)}
        FIGURES.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(json.dumps(figures))
        return 0
    parts = [args.part] if args.part else ["tuning", "held-out", "all"]
    keep = {p for part in parts for p in PARTS[part]}
    worst: list = []
    newsmon = newsmon_runner()
    ext = dat = {}
    if args.only in (None, "extraction"):
        pages = [p for p in load_extraction(source) if p.part in keep]
        ext = run_extraction(pages, {"newsmon": newsmon, "trafilatura": trafilatura_run}, worst)
    if args.only in (None, "dates"):
        pages = [p for p in load_dates(source) if p.part in keep]
        dat = run_dates(pages, {"newsmon": newsmon, "htmldate": htmldate_run}, worst)
    print(f"# {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPU, "
          f"trafilatura {trafilatura.__version__}, htmldate {htmldate.__version__}")
    print(report(ext, dat, parts, args.markdown))
    if ext:
        all_ext = {name: merged(s, tuple(keep)) for name, s in ext.items()}
        ratio = median_ms(all_ext["newsmon"].seconds) / median_ms(all_ext["trafilatura"].seconds)
        print(f"\nspeed: newsmon all stages / trafilatura extract() median per page = {ratio:.2f}x; "
              f"newsmon empty where trafilatura has text: {all_ext['newsmon'].empty_where_other_has_text}")
    target = args.worst or CACHE / "worst.txt"
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as out:
        for row in sorted(worst, key=lambda r: (r[0], r[1], r[2])):
            part, kind, delta, f1, ref, key, name, why = row
            out.write(f"{part}\t{kind}\tdelta={delta:+.2f}\tnewsmon={f1:.2f}\tref={ref:.2f}\t{name}\t{key}\t{why}\n")
    print(f"worst pages: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
