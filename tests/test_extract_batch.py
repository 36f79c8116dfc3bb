"""``newsmon extract --batch``: JSON Lines in, one JSON line out per input line, through the real CLI.

Every page here is written for this test (none is copied from a real outlet).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, run_newsmon

PARAS = [
    "Les deux délégations se sont retrouvées jeudi matin au port de Tanger pour signer un accord de transit "
    "qui doit raccourcir de plusieurs jours le trajet des céréales vers l'Afrique de l'Ouest.",
    "Selon le communiqué publié à l'issue de la rencontre, les premiers navires sont attendus dès le mois de mai, "
    "et un comité conjoint se réunira chaque trimestre pour suivre les volumes et les délais de dédouanement.",
    "Les professionnels du secteur saluent une décision attendue depuis longtemps, tout en rappelant que la "
    "capacité de stockage du port devra suivre si les volumes annoncés se confirment dans les prochains mois.",
]

ARTICLE = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Un accord de transit signé à Tanger - Le Quotidien du Détroit</title>
<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
  {"@type": "WebSite", "name": "Le Quotidien du Détroit"},
  {"@type": "NewsArticle", "headline": "Un accord de transit signé à Tanger", "datePublished": "2025-03-21T10:30:00"}]}</script>
</head><body><div class="site"><h1>Un accord de transit signé à Tanger</h1>
<div class="story">""" + "".join(f"<p>{p}</p>" for p in PARAS) + """</div></div></body></html>"""

LISTING = """<!DOCTYPE html><html><head><title>Politique - Le Quotidien du Détroit</title></head>
<body class="archive category"><h1>Politique</h1>""" + "".join(
    f'<div class="card"><h2><a href="/2025/03/{i}/">Titre de la brève numéro {i}</a></h2><p>Un court résumé.</p></div>'
    for i in range(8)) + "</body></html>"

CHALLENGE = """<!DOCTYPE html><html><head><title>Just a moment...</title></head>
<body><div id="cf-chl-widget">Checking your browser before accessing the site.</div></body></html>"""

NOT_FOUND = """<!DOCTYPE html><html><head><title>Page introuvable - Le Quotidien du Détroit</title></head>
<body class="error404"><h1>Page introuvable</h1><p>Cette page n'existe pas ou plus.</p></body></html>"""


def _write(tmp_path: Path, name: str, html: str) -> str:
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return str(path)


def _lines(tmp_path: Path) -> list[str]:
    return [
        json.dumps({"url": "https://detroit.example/2025/03/21/accord-transit/", "tz": "Europe/Paris",
                    "path": _write(tmp_path, "article.html", ARTICLE)}),
        json.dumps({"url": "https://detroit.example/category/politique/", "path": _write(tmp_path, "listing.html", LISTING)}),
        "",  # blank lines are not inputs
        json.dumps({"url": "https://detroit.example/2025/03/21/x/", "path": _write(tmp_path, "challenge.html", CHALLENGE)}),
        json.dumps({"url": "https://detroit.example/ancienne-page/", "path": _write(tmp_path, "gone.html", NOT_FOUND)}),
        json.dumps({"url": "https://detroit.example/vide/", "path": _write(tmp_path, "empty.html", "<html><body></body></html>")}),
        "{not json",
        json.dumps({"url": "https://detroit.example/absente/", "path": str(tmp_path / "absent.html")}),
        json.dumps({"url": "https://detroit.example/z/", "path": str(tmp_path / "article.html"), "tz": "Mars/Olympus"}),
        json.dumps(["a", "list"]),
    ]


def test_batch_writes_one_record_per_input_line_in_order(tmp_path: Path) -> None:
    batch = tmp_path / "pages.jsonl"
    batch.write_text("\n".join(_lines(tmp_path)) + "\n", encoding="utf-8")
    out = run_newsmon("extract", "--batch", str(batch), "--fetched-at", "2025-03-22T08:00:00Z")
    assert out.code == 0, out.stderr  # pages that are not articles are results, not failures
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["kind"] for r in records] == [
        "article", "listing", "challenge", "not_found", "empty", "error", "error", "error", "error"]
    for record in records:
        assert set(record) >= {"url", "kind", "title", "text", "published_at", "date_source", "lang", "error"}
    article = records[0]
    assert article["url"] == "https://detroit.example/2025/03/21/accord-transit/"
    assert article["title"] == "Un accord de transit signé à Tanger"
    assert article["text"].split("\n") == PARAS
    # the page wrote no offset: it is read in the zone given, and that offset is kept
    assert (article["published_at"], article["published_utc"]) == ("2025-03-21T10:30:00+01:00", "2025-03-21T09:30:00Z")
    assert article["date_source"] == "jsonld" and article["lang"] == "fr" and article["error"] is None
    assert [r["url"] for r in records[1:5]] == ["https://detroit.example/category/politique/",
                                                 "https://detroit.example/2025/03/21/x/",
                                                 "https://detroit.example/ancienne-page/", "https://detroit.example/vide/"]
    # a listing shows what extraction found beside its kind; the other verdicts have no text
    listing = records[1]
    assert listing["title"] == "Politique" and "Un court résumé." in listing["text"] and listing["error"] is None
    assert all(r["text"] is None and r["published_at"] is None for r in records[2:])
    assert "not a JSON object" in records[5]["error"] and records[5]["url"] is None
    assert "no such file" in records[6]["error"] and records[6]["url"] == "https://detroit.example/absente/"
    assert "unknown timezone" in records[7]["error"]
    assert "not a JSON object" in records[8]["error"]
    assert "1 article" in out.stderr and "4 error" in out.stderr


def test_batch_reads_stdin_and_takes_a_file_url_when_none_is_given(tmp_path: Path) -> None:
    path = _write(tmp_path, "article.html", ARTICLE)
    proc = subprocess.run([sys.executable, "-m", "newsmon.cli", "extract", "--batch", "-"], cwd=ROOT,
                          input=json.dumps({"path": path}) + "\n", capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    (record,) = [json.loads(line) for line in proc.stdout.splitlines()]
    assert record["kind"] == "article" and record["url"] == Path(path).as_uri()
    assert record["published_at"] == "2025-03-21T10:30:00Z"  # no zone given: UTC


def test_batch_and_a_single_page_are_exclusive(tmp_path: Path) -> None:
    path = _write(tmp_path, "article.html", ARTICLE)
    both = run_newsmon("extract", path, "--batch", "-")
    neither = run_newsmon("extract")
    assert both.code == neither.code == 2
    assert "not both or neither" in both.stderr and "not both or neither" in neither.stderr


def test_batch_in_worker_processes_keeps_the_input_order(tmp_path: Path) -> None:
    """--jobs 2 forks two workers; the records come out as --jobs 1 prints them, line for line."""
    lines = _lines(tmp_path) * 8  # more lines than the 64 pages in flight, mixed kinds and errors
    batch = tmp_path / "pages.jsonl"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    one = run_newsmon("extract", "--batch", str(batch), "--jobs", "1", "--fetched-at", "2025-03-22T08:00:00Z")
    two = run_newsmon("extract", "--batch", str(batch), "--jobs", "2", "--fetched-at", "2025-03-22T08:00:00Z")
    assert one.code == two.code == 0, two.stderr
    assert len(one.stdout.splitlines()) == 72
    assert two.stdout == one.stdout
    assert two.stderr.splitlines()[-1] == one.stderr.splitlines()[-1]  # the same summary of kinds


# The CLI as a terminal's foreground job starts it: SIGINT at its default disposition. A process
# started with SIGINT ignored keeps it ignored (Python installs no KeyboardInterrupt handler then,
# as with nohup or a background job of a script), so a test run from such a job would otherwise
# see the batch run to its end and exit 0.
AS_FROM_A_TERMINAL = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                      "os.execv(sys.executable, [sys.executable, '-m', 'newsmon.cli', *sys.argv[1:]])")


def _interrupt_a_batch(tmp_path: Path, jobs: str, presses: int, sig: int = signal.SIGINT,
                       group: bool = True) -> tuple[subprocess.Popen, bytes, bytes, list[str]]:
    """Start a 5,000-page batch, wait for its first record (the workers are running), then press
    Ctrl-C ``presses`` times (SIGINT to the whole process group, as a terminal sends it), or send
    ``sig`` to the command alone (``group=False``)."""
    page = _write(tmp_path, "article.html", ARTICLE)
    batch = tmp_path / "pages.jsonl"
    line = json.dumps({"url": "https://detroit.example/2025/03/21/accord-transit/", "path": page})
    batch.write_text((line + "\n") * 5000, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-c", AS_FROM_A_TERMINAL, "extract", "--batch", str(batch), "--jobs", jobs],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"}, bufsize=0)
    try:
        assert proc.stdout is not None
        # Unbuffered, so that readline takes only the first line: communicate() reads the pipe's
        # descriptor itself, and bytes a buffered reader had taken past the line would be lost.
        first = proc.stdout.readline()  # a record is out: the command is in its loop
        assert json.loads(first)["kind"] == "article"
        for _ in range(presses):
            (os.killpg if group else os.kill)(proc.pid, sig)
            time.sleep(0.005)  # the next press lands while the command is stopping
        rest, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    return proc, first + rest, err, _alive_in_group(proc.pid)


def _alive_in_group(group: int) -> list[str]:
    """The processes of the process group still running after up to 2 s (a worker killed with its
    parent is gone at once, but an orphan's zombie waits for init to reap it)."""
    deadline = time.monotonic() + 2
    while True:
        pids = subprocess.run(["pgrep", "-g", str(group)], capture_output=True, text=True).stdout.split()
        alive = []
        for pid in pids:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state != "Z":
                alive.append(pid)
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def test_ctrl_c_ends_a_batch_in_worker_processes_with_one_line(tmp_path: Path) -> None:
    """Ctrl-C during --jobs 2: the command stops handing out pages, waits for the few in flight,
    exits 130 with one line on stderr (no worker traceback), every record printed is whole, and
    no worker is left behind."""
    proc, out, err, left = _interrupt_a_batch(tmp_path, "2", presses=1)
    assert proc.returncode == 130
    assert err.decode().strip().splitlines() == ["newsmon: interrupted"]
    records = [json.loads(line) for line in out.splitlines()]  # nothing half-written
    assert 1 <= len(records) < 5000 and {r["kind"] for r in records} == {"article"}
    assert left == []


def test_ctrl_c_pressed_again_and_again_still_ends_a_batch_with_one_line(tmp_path: Path) -> None:
    """An impatient user: five SIGINTs at once. A KeyboardInterrupt raised inside the pool's
    shutdown printed "Exception ignored" with a traceback, left the workers running and the
    command hung; the flag-only handler makes every press the same."""
    for jobs in ("2", "1"):
        proc, out, err, left = _interrupt_a_batch(tmp_path, jobs, presses=5)
        assert proc.returncode == 130, (jobs, err.decode()[-2000:])
        assert err.decode().strip().splitlines() == ["newsmon: interrupted"], jobs
        assert all(json.loads(line)["kind"] == "article" for line in out.splitlines())
        assert left == [], jobs


def test_sigterm_to_the_command_alone_ends_the_batch_and_its_workers(tmp_path: Path) -> None:
    """`kill PID` (SIGTERM to the command, not its workers): SIGTERM's default killed the command
    alone, silently, and its workers waited for pages forever. Now it is Ctrl-C's clean stop;
    and a command killed outright (SIGKILL) takes its workers with it."""
    proc, out, err, left = _interrupt_a_batch(tmp_path, "2", presses=1, sig=signal.SIGTERM, group=False)
    assert proc.returncode == 130
    assert err.decode().strip().splitlines() == ["newsmon: interrupted"]
    assert all(json.loads(line)["kind"] == "article" for line in out.splitlines())
    assert left == []
    proc, out, err, left = _interrupt_a_batch(tmp_path, "2", presses=1, sig=signal.SIGKILL, group=False)
    assert proc.returncode == -signal.SIGKILL
    assert left == []
