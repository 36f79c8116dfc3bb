"""Output that cannot be written, a reader that goes away, a port already taken, a service
stopped by SIGTERM: one clear line (or none, for a closed pipe), the project's exit status, and
nothing lost. Real processes, real files, pipes, sockets and signals."""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from newsmon.commands.serve import STOP_GRACE_S
from newsmon.store import Store
from pipelines.dedupe import article_id
from tests.conftest import ROOT, run_newsmon
from tests.es_fake import FakeES

PARAGRAPH = ("Morocco and Kazakhstan signed an agreement on wheat and phosphate fertiliser in Rabat; "
             "the ministers said the first shipments would leave Aktau in the spring. ")


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "newsmon.cli", *args]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of 240 articles of ~1.5 kB: ~400 kB of export, far more than a pipe holds."""
    data = tmp_path_factory.mktemp("robust-io") / "data"
    with Store(data) as db:
        for n in range(240):
            url = f"https://example.ma/2025/03/{n % 28 + 1:02d}/accord-{n}/"
            db.upsert_article({"id": article_id(url), "url": url, "canonical_url": url, "source": "fixture",
                               "title": f"Accord {n}", "text": PARAGRAPH * 10, "lang": "en",
                               "published_at": f"2025-03-{n % 28 + 1:02d}T10:00:00Z",
                               "fetched_at": "2025-04-01T08:00:00Z", "relevant": True,
                               "topics": ["morocco-kazakhstan"], "matched_terms": {"Kazakhstan": 1}}, [url])
    return data


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr[-2000:]
    assert lines[0].startswith("newsmon: error: "), lines[0]
    return lines[0]


@pytest.mark.parametrize("where", ["missing dir", "a directory", "under a file"])
def test_an_output_path_that_cannot_be_written_is_one_line_and_exit_2_before_anything_is_read(
        store: Path, tmp_path: Path, where: str) -> None:
    """Was: click's "Could not open file" with exit status 1 (export), a traceback (alerts feed)."""
    (tmp_path / "plain").write_text("x")
    path = {"missing dir": tmp_path / "no-such-dir" / "out.jsonl", "a directory": tmp_path,
            "under a file": tmp_path / "plain" / "out.jsonl"}[where]
    for args in (["export", "--data", str(store), "-o", str(path)],
                 ["alerts", "feed", "kazakh-wheat", "--data", str(store), "-o", str(path)]):
        out = run_newsmon(*args)
        assert out.code == 2, (args, out.stderr)
        line = one_error_line(out.stderr)
        assert line.startswith(f"newsmon: error: cannot write {path}: ") or (  # alerts feed: click's check
            where == "a directory" and f"'{path}' is a directory" in line), line
        assert out.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain"]  # nothing created, no half file


def test_an_export_that_fails_part_way_leaves_the_previous_file_as_it_was(store: Path, tmp_path: Path) -> None:
    """A full disk mid-export (here: a file size limit, EFBIG). Was: the previous export truncated
    to what fitted, and a traceback."""
    target = tmp_path / "articles.jsonl"
    ok = run_newsmon("export", "--data", str(store), "-o", str(target))
    assert ok.code == 0 and ok.stderr == "", ok.stderr
    previous = target.read_bytes()
    assert previous == run_newsmon("export", "--data", str(store)).stdout.encode("utf-8")  # the same as stdout
    assert len(previous.splitlines()) == 240
    assert target.stat().st_mode & 0o777 == 0o666 & ~current_umask()  # as a plain open() would create it

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    failed = subprocess.run(cli("export", "--data", str(store), "--format", "csv", "-o", str(target)), cwd=ROOT,
                            capture_output=True, text=True, preexec_fn=small_files, timeout=120)
    assert failed.returncode == 1, failed.stderr
    line = one_error_line(failed.stderr)
    assert line == f"newsmon: error: cannot write {target}: File too large ({target} left as it was)"
    assert target.read_bytes() == previous
    assert [p.name for p in tmp_path.iterdir()] == ["articles.jsonl"]  # the partial copy removed


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_export_to_a_device_is_written_in_place_and_a_full_one_is_one_line(store: Path) -> None:
    """/dev/null must never be replaced by a file, /dev/full is a disk that is full."""
    null = run_newsmon("export", "--data", str(store), "-o", os.devnull)
    assert null.code == 0 and null.stderr == "" and Path(os.devnull).is_char_device()
    full = run_newsmon("export", "--data", str(store), "-o", "/dev/full")
    assert full.code == 1
    assert one_error_line(full.stderr) == "newsmon: error: cannot write /dev/full: No space left on device"


@pytest.mark.parametrize(("command", "what"), [(("runs",), "to standard output"), (("stats",), "to standard output"),
                                               (("export", "--format", "csv"), "to standard output")])
def test_any_command_whose_output_cannot_be_written_says_so_in_one_line(store: Path, command: tuple[str, ...],
                                                                       what: str) -> None:
    """stdout on a full device (``newsmon runs > /dev/full``): was a traceback from click's echo
    for every command but export (and, for output still buffered, a second report at exit)."""
    with open("/dev/full", "w") as full:
        proc = subprocess.run(cli(*command, "--data", str(store)), stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
    assert one_error_line(proc.stderr) == f"newsmon: error: cannot write {what}: No space left on device"
    # nothing lost: the store reads as before
    assert json.loads(run_newsmon("stats", "--json", "--data", str(store)).stdout)


def pages(tmp_path: Path, count: int) -> Path:
    batch = tmp_path / "batch.jsonl"
    with batch.open("w", encoding="utf-8") as lines:
        for n in range(count):
            page = tmp_path / f"p{n}.html"
            page.write_text(f"<html><head><title>Accord {n}</title></head><body><article><h1>Accord {n}</h1>"
                            f"<p>{PARAGRAPH * 8}</p></article></body></html>", encoding="utf-8")
            lines.write(json.dumps({"url": f"https://example.ma/2025/03/21/accord-{n}/", "path": str(page)}) + "\n")
    return batch


def processes_in_session(sid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getsid(int(entry.name)) == sid:
                    found.append(int(entry.name))
            except (ProcessLookupError, PermissionError):
                pass
    return found


@pytest.mark.parametrize("command", ["extract --jobs 2", "extract --jobs 1", "export", "export csv", "runs"])
def test_a_reader_that_goes_away_stops_the_command_quietly_with_status_141(
        store: Path, tmp_path: Path, command: str) -> None:
    """`newsmon … | head -1`: no traceback, no error line, no worker left, and the status a shell
    gives `cat` or `grep` in the same place (128 + SIGPIPE). Was: exit status 1, a failure's."""
    if command.startswith("extract"):
        args = ["extract", "--batch", str(pages(tmp_path, 150)), "--jobs", command[-1], "--fetched-at",
                "2025-04-01T00:00:00Z"]
    elif command == "runs":
        with Store(store) as db:  # enough runs for more output than a pipe holds
            for n in range(600):
                db.finish_run(db.start_run(f"crawl-{n}", f"source-{n}"), status="ok", pages_fetched=n,
                              articles_stored=0, skipped=0, errors=0, stats={"pages": n})
        args = ["runs", "--data", str(store), "--limit", "1000"]
    else:
        args = ["export", "--data", str(store), *(["--format", "csv"] if command.endswith("csv") else [])]
    with subprocess.Popen(cli(*args), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          start_new_session=True) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()  # what `head -1` does after its line
        try:
            code = proc.wait(timeout=120)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        err = proc.stderr.read().decode()
    assert first.strip(), err
    assert code == 141, (code, err[-2000:])
    assert err == ""
    deadline = time.monotonic() + 10  # a worker killed with its parent may take a moment to be reaped
    while processes_in_session(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_in_session(proc.pid) == []


def test_demo_on_a_port_in_use_is_one_line_and_exit_2_and_creates_nothing(tmp_path: Path) -> None:
    """Was: the same words with exit status 1, the status of a failed crawl, after creating the
    data directory and its empty store."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = run_newsmon("demo", "--data", str(tmp_path / "demo"), "--port", str(port))
    assert out.code == 2, out.stderr
    assert one_error_line(out.stderr).startswith(
        f"newsmon: error: cannot serve the sample site on 127.0.0.1:{port}: Address already in use")
    assert not (tmp_path / "demo").exists()


def test_serve_stops_on_sigterm_with_one_line_and_status_0(store: Path) -> None:
    """SIGTERM, a service manager's stop: the server stops, closes, says so and exits 0, as
    `newsmon schedule` does. Was: killed by its own re-raised SIGTERM (143), without a word."""
    reindexed = run_newsmon("reindex", "--data", str(store))
    assert reindexed.code == 0, reindexed.stderr
    with subprocess.Popen(cli("serve", "--data", str(store), "--port", "0"), cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            with urllib.request.urlopen(url + "api/search?q=Kazakhstan", timeout=30) as answer:
                assert answer.status == 200 and json.load(answer)["total"] == 240
            port = int(url.rsplit(":", 1)[1].strip("/"))
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, err
    assert err == "newsmon serve: stopped\n"
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))


class StuckCluster(FakeES):
    """An Elasticsearch that takes a search and never answers it (until the test ends)."""

    def __init__(self) -> None:
        super().__init__(9)
        self.searching = threading.Event()
        self.release = threading.Event()

    def handle(self, req: Any) -> tuple[int, Any]:
        if req.path.endswith("/_search"):
            self.searching.set()
            self.release.wait(120)
        return super().handle(req)


def test_serve_stops_on_sigterm_within_its_grace_when_a_search_hangs(store: Path, tmp_path: Path) -> None:
    """A search stuck on an unreachable cluster (30 s a try, 4 tries) no longer holds the stop:
    after STOP_GRACE_S the request is cut off, one line says so, exit 0. Was: the process waited
    for the search's worker thread, past a service manager's kill."""
    settings = tmp_path / "newsmon.yaml"
    settings.write_text("# NEWSMON_ES_URL configures the cluster\n", encoding="utf-8")
    with StuckCluster() as cluster:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_ES_")}
        env.update(NEWSMON_SETTINGS=str(settings), NEWSMON_ES_URL=cluster.url, PYTHONUNBUFFERED="1")
        with subprocess.Popen(cli("serve", "--data", str(store), "--port", "0", "--backend", "elasticsearch"),
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) as proc:
            try:
                assert proc.stdout is not None
                url = proc.stdout.readline().strip()
                assert url.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.stderr else url
                asker = threading.Thread(target=lambda: _ask(url + "api/search?q=Kazakhstan"), daemon=True)
                asker.start()
                assert cluster.searching.wait(30), "the search never reached the cluster"
                proc.send_signal(signal.SIGTERM)
                started = time.monotonic()
                out, err = proc.communicate(timeout=60)
                took = time.monotonic() - started
            finally:
                cluster.release.set()
                if proc.poll() is None:
                    proc.kill()
    assert proc.returncode == 0, err
    assert took < STOP_GRACE_S + 5, f"the stop took {took:.1f} s"
    lines = err.splitlines()
    assert lines[-1] == (f"newsmon serve: stopped; 1 request(s) still running after {STOP_GRACE_S} s "
                         "were cut off"), err
    assert not any("Cancel" in line or "Traceback" in line for line in lines), err


def _ask(url: str) -> None:
    try:
        urllib.request.urlopen(url, timeout=90).read()
    except OSError:
        pass  # the connection is closed by the stop: that is the point


def test_stuck_requests_add_half_a_second_in_all_to_the_stop_not_each() -> None:
    """Ten searches stuck at the stop: the wait for them is one half-second deadline (was 0.5 s
    each, 5 s more for ten, past a service manager's kill), and the stop line counts them as
    requests, a thread of another kind apart."""
    from newsmon.commands.serve import _still_running

    release = threading.Event()
    stuck = [threading.Thread(target=release.wait, name="AnyIO worker thread") for _ in range(10)]
    stuck.append(threading.Thread(target=release.wait, name="someone-else"))
    for thread in stuck:
        thread.start()
    try:
        started = time.monotonic()
        requests, others = _still_running()  # at least ours: another test of this worker may have left threads
        assert requests >= 10 and others >= 1
        assert time.monotonic() - started < 1.5
    finally:
        release.set()
        for thread in stuck:
            thread.join()
    assert not any(thread.is_alive() for thread in stuck)
