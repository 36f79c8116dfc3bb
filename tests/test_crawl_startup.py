"""What a crawl's start-up leaves out, and that leaving it out changes nothing a user sees.

The page path (trafilatura, htmldate, dateparser, the language model's numpy, the compiled topics)
is built at the first page, and the story sketches (numpy, rensa) at the first signature: a poll
that finds nothing new never imports them, and a crawl that finds pages builds the page path once
and stores them as before. Scrapy's deprecated TLS classes are created
without reading the source of the import chain, and keep their module names.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from newsmon.sample_site.generated import LANGS, Site
from tests.conftest import ROOT, write_sources

LOCAL = ("-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "NEWSMON_BLOCK_PRIVATE_ADDRESSES=False",
         "-s", "DOWNLOAD_TIMEOUT=15")
# Counts the page processors built while the CLI runs (it imports the page path first itself).
PROBE = """\
import json, sys
import pipelines.page as page
built = []
real_init = page.PageProcessor.__init__
def counting_init(self, *args, **kwargs):
    built.append(1)
    real_init(self, *args, **kwargs)
page.PageProcessor.__init__ = counting_init
sys.argv = ['newsmon', *ARGS]
code = 0
try:
    from newsmon.cli import main
    main(prog_name='newsmon')  # not run(): it would end the process before the report
except SystemExit as exc:
    code = exc.code or 0
print('PROBE', json.dumps({'code': code, 'built': len(built)}))
"""
# What pipelines.page imports that nothing before the first page needs.
PAGE_PATH = ("trafilatura", "htmldate", "dateparser", "py3langid", "justext", "courlan")


def run_probe(args: list[str]) -> dict:
    """`newsmon ARGS` in a fresh interpreter; the probe's report (exit code, processors built)."""
    code = PROBE.replace("ARGS", repr(args))
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=180)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("PROBE ")), None)
    assert line is not None, proc.stderr[-3000:]
    report = json.loads(line[len("PROBE "):])
    report["stdout"] = proc.stdout
    return report


def modules_of(args: list[str]) -> tuple[int, set[str], str]:
    """`newsmon ARGS` in a fresh interpreter that imports nothing first: exit code, modules, stdout."""
    code = ("import sys\n"
            f"sys.argv = ['newsmon', *{args!r}]\n"
            "code = 0\n"
            "try:\n    from newsmon.cli import main\n    main(prog_name='newsmon')\n"
            "except SystemExit as exc:\n    code = exc.code or 0\n"
            "print('MODULES', code, *sorted(sys.modules))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=180)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("MODULES ")), None)
    assert line is not None, proc.stderr[-3000:]
    _, status, *modules = line.split()
    return int(status), set(modules), proc.stdout


def sources_for(site: Site, path: Path) -> Path:
    return write_sources(path, [{"name": f"gen-{i:02d}", "language": LANGS[i % 3], "sitemaps": [url]}
                                for i, url in enumerate(site.sitemaps())])


def summary_of(stdout: str) -> list[dict]:
    summary, _ = json.JSONDecoder().raw_decode(stdout[stdout.index("["):])
    return summary


def test_a_poll_that_finds_nothing_new_never_imports_the_page_path(tmp_path: Path) -> None:
    with Site(0, hosts=2) as site:
        sources = sources_for(site, tmp_path / "sources.yaml")
        status, loaded, stdout = modules_of(["crawl", "--sources", str(sources), "--data", str(tmp_path / "data"),
                                             "--json", *LOCAL])
    assert status == 0
    summary = summary_of(stdout)
    assert [r["status"] for r in summary] == ["ok", "ok"] and sum(r["new"] for r in summary) == 0
    assert "crawler.itempipelines" in loaded  # the item pipelines were built, their stages were not
    heavy = {m for m in loaded if m.split(".")[0] in (*PAGE_PATH, "feedparser", "numpy", "rensa") or m == "pipelines.page"
             or m == "pipelines.stories"
             or m.startswith("pipelines.dates") or m.startswith("newsmon.alerts")}
    assert not heavy, sorted(heavy)
    # sources without a cron line never make a trigger: APScheduler (and tzlocal) stay unimported
    assert not {m for m in loaded if m.split(".")[0] in ("apscheduler", "tzlocal")}


def test_a_crawl_that_finds_pages_builds_the_page_path_once_and_stores_them(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Site(4, hosts=2) as site:
        sources = sources_for(site, tmp_path / "sources.yaml")
        report = run_probe(["crawl", "--sources", str(sources), "--data", str(data), "--keep-all", "--json", *LOCAL])
        published = site.published
    assert report["code"] == 0
    assert report["built"] == 1  # one processor for the four pages
    assert sum(r["new"] for r in summary_of(report["stdout"])) == 4
    db = sqlite3.connect(data / "newsmon.db")
    try:
        rows = db.execute("SELECT url, title, text, lang, published_at, date_source, source FROM articles "
                          "ORDER BY url").fetchall()
    finally:
        db.close()
    assert len(rows) == 4
    for url, title, text, lang, published_at, date_source, source in rows:
        assert url.endswith(".html") and title and len(text) > 150
        assert lang == LANGS[int(source[-2:]) % 3]  # ar, fr, it as generated per host
        assert published_at == published.replace("+00:00", "Z") and date_source


def test_tls_modules_imported_cheaply_keep_their_deprecated_classes_module_names() -> None:
    code = ("import sys, inspect\n"
            "from scrapy.utils import deprecate\n"
            "if sys.argv[1] == 'cheap':\n"
            "    from newsmon.crawl import import_deprecated_class_modules\n"
            "    import_deprecated_class_modules()\n"
            "else:\n"
            "    import scrapy.core.downloader.contextfactory\n"
            "import scrapy.core.downloader.contextfactory as c, scrapy.core.downloader.tls as t\n"
            "assert deprecate.inspect is inspect\n"
            "print(c.ScrapyClientContextFactory.__module__, c.AcceptableProtocolsContextFactory.__module__,"
            " t.ScrapyClientTLSOptions.__module__)\n")
    names = [subprocess.run([sys.executable, "-c", code, way], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, check=True).stdout.split() for way in ("cheap", "plain")]
    assert names[0] == names[1] == ["scrapy.core.downloader.contextfactory"] * 2 + ["scrapy.core.downloader.tls"]


def test_the_crawl_summary_reads_only_its_own_runs(tmp_path: Path) -> None:
    from newsmon.store import Store

    with Store(tmp_path) as store:
        with store.transaction() as db:
            for crawl_id, source in (("c1", "a"), ("c2", "a"), ("c2", "b"), ("c3", "a")):
                db.execute("INSERT INTO runs (crawl_id, source, started_at, stats) VALUES (?, ?, ?, ?)",
                           (crawl_id, source, "2026-01-01T00:00:00Z", json.dumps({"pages": 1})))
        assert [(r["crawl_id"], r["source"]) for r in store.runs(crawl_id="c2")] == [("c2", "b"), ("c2", "a")]
        assert [r["crawl_id"] for r in store.runs(limit=10)] == ["c3", "c2", "c2", "c1"]
        assert store.runs(crawl_id="c2")[0]["stats"] == {"pages": 1}


def test_a_crawl_ends_without_teardown_but_runs_the_exit_handlers_and_keeps_its_status(tmp_path: Path) -> None:
    """`newsmon crawl` skips the interpreter's teardown (newsmon.cli.run): what a normal exit
    does first still happens (exit handlers, flushed output), and the status is the command's."""
    marker = tmp_path / "atexit-ran"
    with Site(0, hosts=1) as site:
        sources = sources_for(site, tmp_path / "sources.yaml")
        down = write_sources(tmp_path / "down.yaml", [{"name": "down", "language": "fr",
                                                       "sitemaps": ["http://127.0.0.1:9/sitemap.xml"]}])
        results = []
        for path in (sources, down):
            code = ("import atexit, os, sys, threading\n"
                    f"atexit.register(lambda: open({str(marker)!r}, 'a').write('ran\\n'))\n"
                    "real_exit = os._exit\n"
                    "os._exit = lambda status: (sys.stderr.write(f'QUICK {status}\\n'), sys.stderr.flush(), real_exit(status))\n"
                    f"sys.argv = ['newsmon', 'crawl', '--sources', {str(path)!r}, '--data', {str(tmp_path / 'data')!r},"
                    f" '--json', *{list(LOCAL)!r}]\n"
                    "from newsmon.cli import run\n"
                    "run()\n")
            results.append(subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                                          timeout=180))
    ok, failed = results
    assert ok.returncode == 0 and "QUICK 0" in ok.stderr
    assert [r["source"] for r in summary_of(ok.stdout)] == ["gen-00"]
    assert failed.returncode == 1 and "QUICK 1" in failed.stderr
    assert "newsmon: source down: failed" in failed.stderr and summary_of(failed.stdout)[0]["status"] == "failed"
    assert marker.read_text() == "ran\nran\n"


def test_search_show_and_stats_leave_the_crawl_and_page_path_libraries_unimported(tmp_path: Path) -> None:
    """The analyst's commands read dates and stories through modules that once pulled in
    feedparser (through the sitemap date parser), htmldate (through the store's instant format)
    and numpy (through the story sketches)."""
    data = tmp_path / "data"
    from newsmon.store import Store

    Store(data).close()
    for args in (["search", "Kazakhstan"], ["show", "no-such-id"], ["stats"]):
        _, loaded, _ = modules_of([*args, "--data", str(data)])
        assert "newsmon.commands." + args[0] in loaded
        heavy = {m.split(".")[0] for m in loaded} & {*PAGE_PATH, "feedparser", "numpy", "rensa", "scrapy", "twisted"}
        assert not heavy, (args, sorted(heavy))


def test_a_page_path_that_cannot_be_built_fails_the_crawl_as_it_did_at_the_start(tmp_path: Path) -> None:
    """Built at the first page, the stages can no longer fail the crawl before it starts: a
    failure to build them (a broken installation) stops the crawl there, and the command says
    what it said then, on one line, with exit status 2; nothing is stored."""
    code = ("import sys\n"
            "import pipelines.page as page\n"
            "def broken(self, *args, **kwargs):\n"
            "    raise RuntimeError('no extraction library')\n"
            "page.PageProcessor.__init__ = broken\n"
            "from newsmon.cli import main\n"
            "main(prog_name='newsmon')\n")
    data = tmp_path / "data"
    with Site(2, hosts=1) as site:
        sources = sources_for(site, tmp_path / "sources.yaml")
        proc = subprocess.run([sys.executable, "-c", code, "crawl", "--sources", str(sources), "--data", str(data),
                               "--keep-all", *LOCAL], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stderr.splitlines()[-1] == "newsmon: error: crawl could not run: RuntimeError: no extraction library"
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    db = sqlite3.connect(data / "newsmon.db")
    try:
        assert db.execute("SELECT COUNT(*) FROM articles").fetchone() == (0,)
    finally:
        db.close()


def test_a_command_s_modules_are_frozen_before_the_collector_comes_back(tmp_path: Path) -> None:
    """What a command's modules allocate lives as long as the process: it is frozen as the
    collector comes back on (newsmon.cli.LazyGroup.get_command), so that no collection walks it
    (before, the first ones after a crawl's imports walked ~100,000 objects, ~10-15 ms of CPU)."""
    from newsmon.store import Store

    Store(tmp_path / "data").close()
    code = ("import gc, sys\n"
            "sys.argv = ['newsmon', 'stats', '--data', sys.argv[1]]\n"
            "from newsmon.cli import main\n"
            "try:\n    main(prog_name='newsmon')\n"
            "except SystemExit as exc:\n    code = exc.code or 0\n"
            "import newsmon.commands.stats as command\n"
            "namespace = vars(command)\n"
            "print('GC', code, gc.isenabled(), any(o is namespace for o in gc.get_objects()))\n")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "data")], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("GC ")), None)
    assert line is not None, proc.stderr[-3000:]
    assert line.split()[1:] == ["0", "True", "False"]  # ran, collector on, the module's namespace frozen


def test_a_crawl_runs_numpy_s_blas_on_one_thread_unless_the_user_says_more(tmp_path: Path) -> None:
    """OpenBLAS started a thread per core as numpy loaded (~60 ms of CPU, half of numpy's import)
    and woke one for most pages' language scores; the scores are the same bits on one thread
    (tests/test_langid_exact.py)."""
    code = ("import os, sys\n"
            "sys.argv = ['newsmon', *sys.argv[1:]]\n"
            "from newsmon.cli import main\n"
            "try:\n    main(prog_name='newsmon')\n"
            "except SystemExit as exc:\n    code = exc.code or 0\n"
            "print('BLAS', code, os.environ.get('OPENBLAS_NUM_THREADS'), 'numpy' in sys.modules)\n")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    with Site(1, hosts=2) as site:
        sources = sources_for(site, tmp_path / "sources.yaml")
        proc = subprocess.run([sys.executable, "-c", code, "crawl", "--sources", str(sources), "--data",
                               str(tmp_path / "data"), "--keep-all", "--json", *LOCAL], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=180)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("BLAS ")), None)
    assert line is not None, proc.stderr[-3000:]
    assert sum(r["new"] for r in summary_of(proc.stdout)) == 1
    assert line.split()[1:] == ["0", "1", "True"]  # the language model's scoring imported numpy, on one thread
    mine = subprocess.run([sys.executable, "-c", "import os, newsmon.cli; print(os.environ['OPENBLAS_NUM_THREADS'])"],
                          cwd=ROOT, env={**env, "OPENBLAS_NUM_THREADS": "3"}, capture_output=True, text=True,
                          timeout=60, check=True)
    assert mine.stdout.strip() == "3"  # a value the user set is kept


def test_scrapy_s_versions_line_is_gathered_only_when_it_is_logged(tmp_path: Path) -> None:
    from newsmon.crawl import CrawlOptions, crawl_settings

    quiet = crawl_settings([], CrawlOptions(tmp_path), "c1")
    assert quiet["LOG_VERSIONS"] == []  # WARNING: the INFO line is never written
    for level in ("INFO", "DEBUG"):
        assert "LOG_VERSIONS" not in crawl_settings([], CrawlOptions(tmp_path, log_level=level), "c1")
        # `-s LOG_LEVEL=INFO` is the level the crawl logs at: its versions line is written
        lowered = crawl_settings([], CrawlOptions(tmp_path, extra_settings={"LOG_LEVEL": level}), "c1")
        assert lowered["LOG_LEVEL"] == level and "LOG_VERSIONS" not in lowered
    with Site(0, hosts=1) as site:
        sources = sources_for(site, tmp_path / "sources.yaml")
        verbose = subprocess.run([sys.executable, "-m", "newsmon.cli", "crawl", "--sources", str(sources), "--data",
                                  str(tmp_path / "data"), "--json", "-v", *LOCAL], cwd=ROOT, capture_output=True,
                                 text=True, timeout=180)
    assert verbose.returncode == 0, verbose.stderr[-2000:]
    assert "Versions:" in verbose.stderr and "'Twisted'" in verbose.stderr  # -v still shows them
