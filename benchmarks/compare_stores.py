"""Same articles stored? Crawl the generated site with another checkout and with this one, and
compare the two stores article by article.

    git archive main | tar -x -C /tmp/main
    .venv/bin/python benchmarks/compare_stores.py --tree /tmp/main --sizes 600 2400

For each size, one generated site (``crawl_vs_bare.py``'s: N articles in ar, fr, it on 30
loopback hosts, the same server for both crawls, so the same URLs and publication times) is
crawled with ``newsmon crawl --keep-all`` from DIR and from this tree, each into its own data
directory. Then, article by article (matched by id): every column of ``articles`` but the
instants of the crawl itself (``fetched_at``, ``first_seen_at``, ``updated_at``) and the run
number; each article's story signature; the stories as a partition (which articles share one:
story ids name an article, and the first seen may differ with the fetch order); the number of
documents in the search index, and the same search's hits in both. Prints the differences
(none expected) and exits 1 when there are any.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.crawl_vs_bare import compile_tree, measured, sources_yaml  # noqa: E402

from newsmon.sample_site.generated import Site  # noqa: E402
from newsmon.search_index import SearchIndex  # noqa: E402

CRAWL_INSTANTS = {"fetched_at", "first_seen_at", "updated_at", "run_id"}
SEARCHES = ("Maroc Kazakhstan", "المغرب", "Kazakistan accordo", "Astana")


def crawl(site: Site, tmp: Path, tree: Path, name: str) -> Path:
    data = tmp / f"data-{name}"
    cmd = [sys.executable, "-m", "newsmon.cli", "crawl", "--sources", str(sources_yaml(site, tmp / "sources.yaml")),
           "--data", str(data), "--keep-all", "--json", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
           "-s", "NEWSMON_BLOCK_PRIVATE_ADDRESSES=False"]
    stdout, cpu, rss, wall = measured(cmd, cwd=tree)
    summary, _ = json.JSONDecoder().raw_decode(stdout[stdout.index("["):])
    stored = sum(r["new"] for r in summary)
    print(f"  {name}: {stored} stored, {cpu:.2f} s CPU", file=sys.stderr, flush=True)
    if stored != site.total:
        raise SystemExit(f"{name}: stored {stored} of {site.total} articles")
    return data


def read(data: Path) -> tuple[dict[str, dict], dict[str, bytes | None], set[frozenset[str]], int, dict[str, list[str]]]:
    db = sqlite3.connect(data / "newsmon.db")
    db.row_factory = sqlite3.Row
    articles = {row["id"]: {k: row[k] for k in row.keys() if k not in CRAWL_INSTANTS}
                for row in db.execute("SELECT * FROM articles")}
    signatures = dict(db.execute("SELECT article_id, signature FROM story_signatures").fetchall())
    stories: dict[str, set[str]] = {}
    for article_id, story in db.execute("SELECT id, story_id FROM articles"):
        stories.setdefault(story, set()).add(article_id)
    db.close()
    index = SearchIndex(data / "index")
    hits = {q: sorted(hit.id for hit in index.search(q, limit=10_000)) for q in SEARCHES}
    count = index.count()
    return articles, signatures, {frozenset(s) for s in stories.values()}, count, hits


def compare(a: Path, b: Path) -> list[str]:
    (arts_a, sigs_a, stories_a, count_a, hits_a), (arts_b, sigs_b, stories_b, count_b, hits_b) = read(a), read(b)
    problems = []
    if arts_a.keys() != arts_b.keys():
        problems.append(f"article ids differ: {len(arts_a.keys() - arts_b.keys())} only there, "
                        f"{len(arts_b.keys() - arts_a.keys())} only here")
    for article_id in sorted(arts_a.keys() & arts_b.keys()):
        row_a, row_b = arts_a[article_id], arts_b[article_id]
        for column in row_a:
            if column != "story_id" and row_a[column] != row_b.get(column):
                problems.append(f"{article_id} {column}: {str(row_a[column])[:80]!r} != {str(row_b.get(column))[:80]!r}")
        if sigs_a.get(article_id) != sigs_b.get(article_id):
            problems.append(f"{article_id}: story signatures differ")
    if stories_a != stories_b:
        problems.append(f"stories differ: {len(stories_a)} there, {len(stories_b)} here, "
                        f"{len(stories_a ^ stories_b)} groups not in both")
    if count_a != count_b:
        problems.append(f"index documents: {count_a} there, {count_b} here")
    for query in SEARCHES:
        if hits_a[query] != hits_b[query]:
            problems.append(f"search {query!r}: {len(hits_a[query])} hits there, {len(hits_b[query])} here, not the same")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", type=Path, required=True, help="the other checkout (e.g. main, unpacked by git archive)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[600, 2400])
    args = parser.parse_args()
    for tree in (ROOT, args.tree):
        compile_tree(tree)
    failed = False
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmpdir, Site(size) as site:
            tmp = Path(tmpdir)
            there = crawl(site, tmp, args.tree.resolve(), "there")
            here = crawl(site, tmp, ROOT, "here")
            problems = compare(there, here)
            articles, _, stories, count, hits = read(here)
        print(f"{size} articles: {len(articles)} compared column by column, {len(stories)} stories, "
              f"{count} indexed, {sum(map(len, hits.values()))} search hits: "
              + ("the same" if not problems else f"{len(problems)} differences"))
        for line in problems[:40]:
            print("  " + line)
        failed = failed or bool(problems)
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
