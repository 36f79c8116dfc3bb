"""Alert delivery against real local receivers: retries, independence of channels, SMTP,
Apprise, digests, a crash between send and record, and stories.

Time is an argument (``engine.run(now=...)``), so retry backoff and digest schedules are
exercised without waiting.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from newsmon.alerts import engine, render
from newsmon.alerts.config import load_alerts
from newsmon.store import Store
from tests.alerts_receivers import HttpReceiver, SmtpReceiver
from tests.conftest import run_newsmon
from tests.test_stories import EN

T0 = datetime(2026, 11, 20, 7, 0, tzinfo=timezone.utc)


def article(key: str, title: str, text: str, *, lang: str = "en", source: str = "outlet", day: int = 20,
            topics: tuple[str, ...] = ("morocco-kazakhstan",)) -> dict:
    url = f"https://{source}.example/news/{key}"
    return {"id": f"{key:0>16}"[-16:], "url": url, "canonical_url": url, "source": source, "title": title,
            "text": text, "lang": lang, "published_at": f"2026-11-{day:02d}T06:00:00Z",
            "fetched_at": f"2026-11-{day:02d}T06:30:00Z", "content_hash": f"h-{key}-{len(text)}",
            "relevant": bool(topics), "topics": list(topics)}


WHEAT = [
    article("w1", "Kazakh wheat reaches Casablanca", "A cargo of Kazakh wheat reached the port of Casablanca. " * 3),
    article("w2", "Blé kazakh au Maroc", "Le premier navire de blé kazakh est arrivé au Maroc.", lang="fr",
            source="journal"),
]
OFF_TOPIC = article("f1", "Football", "Astana beat Casablanca two nil in a friendly match.")


class Setup:
    def __init__(self, tmp: Path, yaml_text: str):
        self.data = tmp / "data"
        self.file = tmp / "alerts.yaml"
        self.file.write_text(yaml_text, encoding="utf-8")
        self.config = load_alerts(self.file)
        with Store(self.data) as store:
            engine.register_rules(store, self.config)

    def store(self, *items: dict) -> None:
        with Store(self.data) as store:
            for item in items:
                store.upsert_article(item, [item["url"]])

    def run(self, now: datetime) -> engine.Report:
        return engine.run(self.data, self.config, now=now)

    def rows(self, sql: str, *args: object) -> list[tuple]:
        with Store(self.data, readonly=True) as store:
            return [tuple(r) for r in store.db.execute(sql, args)]


def rules_yaml(*channels: str, extra: str = "", rule_extra: str = "", query: str = "wheat OR blé") -> str:
    chans = "\n".join(f"      - {c}" for c in channels)
    return f"""
rules:
  - name: wheat
    query: '{query}'
    topics: [morocco-kazakhstan]
{rule_extra}    channels:
{chans}
{extra}"""


def test_webhook_that_fails_then_succeeds_gets_one_message_retried_with_backoff(tmp_path: Path) -> None:
    with HttpReceiver(fail_first=2) as hook:
        s = Setup(tmp_path, rules_yaml(f"{{type: webhook, url: '{hook.url}/in'}}", extra="retry_base_seconds: 60\n"))
        s.store(*WHEAT, OFF_TOPIC)
        first = s.run(T0)
        assert (first.evaluated, first.matched, first.messages, first.sent, first.failed) == (3, 2, 1, 0, 1)
        assert "HTTP 500" in first.lines[0] and "attempt 1/8" in first.lines[0]
        assert s.run(T0 + timedelta(seconds=30)).failed == 0 and hook.attempts == 1  # backoff not over
        assert s.run(T0 + timedelta(seconds=61)).failed == 1 and hook.attempts == 2  # next: 120 s later
        assert s.run(T0 + timedelta(seconds=61 + 119)).sent == 0 and hook.attempts == 2
        done = s.run(T0 + timedelta(seconds=61 + 121))
        assert done.sent == 1 and hook.attempts == 3
        # a re-crawl that changes the article and later runs send nothing more
        s.store({**WHEAT[0], "text": WHEAT[0]["text"] + " Updated.", "content_hash": "changed"})
        again = s.run(T0 + timedelta(hours=1))
        assert (again.evaluated, again.matched, again.messages, again.sent) == (1, 0, 0, 0)
    assert len(hook.requests) == 1
    keys = {r.headers["Idempotency-Key"] for r in hook.tried}
    assert len(keys) == 1  # every attempt carries the same key
    body = hook.requests[0].json()
    assert body["idempotency_key"] in keys and body["rule"] == "wheat"
    assert [a["url"] for a in body["articles"]] == [WHEAT[0]["url"], WHEAT[1]["url"]]
    assert body["articles"][1]["matched_terms"] == ["Blé", "blé"] or body["articles"][1]["matched_terms"] == ["Blé"]
    assert set(body["articles"][0]) == {"url", "title", "source", "lang", "published_at", "snippet",
                                        "matched_terms", "story_id"}
    assert body["text"].startswith("*newsmon alert* · wheat · 2 new articles\n• <https://outlet.example/news/w1|")
    log = run_newsmon("alerts", "log", "--data", str(s.data), "--json")
    assert log.code == 0, log.stderr
    [row] = json.loads(log.stdout)
    assert (row["status"], row["attempts"], row["articles"], row["last_error"]) == ("sent", 3, 2, None)


def test_a_failing_channel_never_blocks_another_and_is_given_up(tmp_path: Path) -> None:
    with HttpReceiver(fail_first=10**6) as broken, HttpReceiver() as good:
        s = Setup(tmp_path, rules_yaml(f"{{type: webhook, url: '{broken.url}/x'}}",
                                       f"{{type: webhook, url: '{good.url}/y'}}",
                                       extra="max_attempts: 2\nretry_base_seconds: 10\n"))
        s.store(WHEAT[0])
        first = s.run(T0)
        assert (first.sent, first.failed, first.dead) == (1, 1, 0)
        s.store(WHEAT[1])
        second = s.run(T0 + timedelta(seconds=11))
        # the good channel gets the new message; the broken one gives up the first and fails the second
        assert (second.messages, second.sent, second.failed, second.dead) == (1, 1, 1, 1)
        assert any("given up" in line for line in second.lines)
        assert [len(r.json()["articles"]) for r in good.requests] == [1, 1]
        assert [r.json()["articles"][0]["url"] for r in good.requests] == [WHEAT[0]["url"], WHEAT[1]["url"]]
        third = s.run(T0 + timedelta(days=1))
        assert (third.sent, third.dead) == (0, 1) and len(good.requests) == 2
    statuses = s.rows("SELECT label, status FROM alert_deliveries ORDER BY id")
    assert [st for _, st in statuses] == ["dead", "sent", "dead", "sent"]
    assert all(label.endswith("/…") for label, _ in statuses)  # the hook path (a secret on Slack) is not shown


def test_webhook_timeout_is_a_failure_that_is_retried(tmp_path: Path) -> None:
    with HttpReceiver(delay=1.5) as slow:
        s = Setup(tmp_path, rules_yaml(f"{{type: webhook, url: '{slow.url}/', timeout: 0.5}}"))
        s.store(WHEAT[0])
        report = s.run(T0)
    assert report.failed == 1 and "timed out after 0.5s" in report.lines[0]


def test_email_is_escaped_right_to_left_safe_and_has_a_stable_message_id(tmp_path: Path) -> None:
    hostile = article("h1", 'القمح <script>alert("x")</script> & \x1b[31mred\u202e',
                      "وصلت شحنة القمح من كازاخستان إلى ميناء الدار البيضاء.", lang="ar", source="atlas")
    with SmtpReceiver(fail_first=1) as smtp:
        s = Setup(tmp_path, rules_yaml("{type: email, to: [desk@example.org, chief@example.org]}",
                                       query="wheat OR القمح",
                                       extra=f"smtp: {{host: 127.0.0.1, port: {smtp.port}, starttls: false, "
                                             f"from: alerts@newsmon.example}}\n"))
        s.store(hostile, WHEAT[0])
        first = s.run(T0)
        assert first.failed == 1 and "SMTP 451" in first.lines[0]
        second = s.run(T0 + timedelta(minutes=2))
        assert second.sent == 1
    [(rcpt, msg)] = smtp.messages
    assert rcpt == ["desk@example.org", "chief@example.org"]
    first_title = "القمح alert(\"x\") & [31mred"
    assert msg["Subject"].startswith("[newsmon] wheat: 2 new articles — \u2068")
    assert msg["Subject"].endswith("\u2069") and "\x1b" not in msg["Subject"] and "\u202e" not in msg["Subject"]
    key = s.rows("SELECT idempotency_key FROM alerts")[0][0]
    [(channel,)] = s.rows("SELECT channel FROM alert_deliveries")
    assert msg["Message-ID"] == render.message_id(key, channel, "alerts@newsmon.example")
    assert msg["X-Newsmon-Idempotency-Key"] == key
    plain = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "\u2068القمح <script>alert(\"x\")</script> & [31mred\u2069" in plain
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;" in html
    assert 'dir="auto"' in html and "\x1b" not in html + plain and "\u202e" not in html + plain
    assert f'<a href="{hostile["url"]}" dir="auto">' in html
    del first_title


def test_apprise_channel_posts_to_a_local_json_endpoint_and_hides_its_secret(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_PASSWORD", "hunter2-very-secret")
    with HttpReceiver(fail_first=1) as endpoint:
        port = endpoint.server.server_port
        s = Setup(tmp_path, rules_yaml(f"{{type: apprise, url: 'json://bot:${{HOOK_PASSWORD}}@127.0.0.1:{port}/notify'}}"))
        s.store(WHEAT[0])
        first = s.run(T0)
        assert first.failed == 1
        assert "hunter2" not in " ".join(first.lines)
        assert s.run(T0 + timedelta(minutes=5)).sent == 1
    [req] = endpoint.requests
    assert req.path == "/notify"
    body = req.json()
    assert body["title"].startswith("[newsmon] wheat: 1 new article — \u2068Kazakh wheat reaches Casablanca")
    assert "https://outlet.example/news/w1" in body["message"]
    log = run_newsmon("alerts", "log", "--data", str(s.data), "--json")
    assert "hunter2" not in log.stdout and "apprise json://bot:" in log.stdout


def test_digest_is_sent_on_its_cron_time_and_only_then(tmp_path: Path) -> None:
    with HttpReceiver() as hook:
        s = Setup(tmp_path, rules_yaml(f"{{type: webhook, url: '{hook.url}/d'}}", rule_extra='    digest: "0 8 * * *"\n'))
        assert s.run(T0).messages == 0  # 07:00: the schedule starts now
        s.store(*WHEAT)
        assert s.run(T0 + timedelta(minutes=30)).messages == 0 and hook.requests == []
        due = s.run(T0 + timedelta(hours=1, seconds=20))  # 08:00:20
        assert (due.messages, due.sent) == (1, 1)
        assert s.run(T0 + timedelta(hours=2)).messages == 0
        s.store(article("w3", "More wheat", "Another wheat cargo left Aktau for Morocco."))
        assert s.run(T0 + timedelta(days=1, minutes=59)).messages == 0  # next day 07:59
        # the machine was off for three days: the missed digests coalesce into one
        late = s.run(T0 + timedelta(days=4, hours=3))
        assert late.messages == 1
        assert s.run(T0 + timedelta(days=4, hours=4)).messages == 0
    assert [r.json()["kind"] for r in hook.requests] == ["digest", "digest"]
    assert [len(r.json()["articles"]) for r in hook.requests] == [2, 1]
    assert hook.requests[0].json()["text"].startswith("*newsmon digest* · wheat · 2 articles")
    [(fired,)] = s.rows("SELECT last_fire_at FROM alert_digests")
    assert fired == "2026-11-24T08:00:00Z"


def test_crash_between_send_and_record_resends_with_the_same_key(tmp_path: Path) -> None:
    with HttpReceiver() as hook:
        s = Setup(tmp_path, rules_yaml(f"{{type: webhook, url: '{hook.url}/c'}}"))
        s.store(*WHEAT)
        crashed = run_newsmon("alerts", "run", "--alerts", str(s.file), "--data", str(s.data),
                              env={engine.FAULT_ENV: "exit-after-send"})
        assert crashed.code == 70, crashed.stderr
        assert len(hook.requests) == 1
        assert s.rows("SELECT status FROM alert_deliveries") == [("sending",)]
        rerun = run_newsmon("alerts", "run", "--alerts", str(s.file), "--data", str(s.data))
        assert rerun.code == 0, rerun.stderr
        assert "1 delivered" in rerun.stderr
        assert len(hook.requests) == 2
        again = run_newsmon("alerts", "run", "--alerts", str(s.file), "--data", str(s.data))
        assert again.code == 0 and "0 delivered" in again.stderr
    first, second = hook.requests
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert first.body == second.body  # the frozen message: a receiver can drop the replay
    assert s.rows("SELECT status FROM alert_deliveries") == [("sent",)]


def test_per_story_alerts_once_listing_every_outlet_and_folds_later_copies(tmp_path: Path) -> None:
    def copy(key: str, version: str, source: str, day: int) -> dict:
        return article(key, EN[version]["title"], EN[version]["text"], source=source, day=day)

    distinct = article("d0", EN["distinct0"]["title"], EN["distinct0"]["text"], source="mills-daily")
    with HttpReceiver() as hook:
        s = Setup(tmp_path, f"""
rules:
  - name: now
    query: wheat OR grain
    per: story
    channels: [{{type: webhook, url: '{hook.url}/now'}}]
  - name: daily
    query: wheat OR grain
    per: story
    digest: "0 8 * * *"
    channels: [{{type: webhook, url: '{hook.url}/daily'}}]
""")
        s.run(T0)
        s.store(copy("c1", "original", "wire", 20), copy("c2", "reprint_reordered", "outlet-a", 20), distinct)
        first = s.run(T0 + timedelta(minutes=10))
        assert first.messages == 1
        [now_msg] = [r.json() for r in hook.requests if r.path == "/now"]
        assert len(now_msg["articles"]) == 3
        assert len({a["story_id"] for a in now_msg["articles"]}) == 2
        lines = now_msg["text"].splitlines()
        assert lines[0] == "*newsmon alert* · now · 2 new stories"
        wire_line = next(line for line in lines if "Kazakhstan ships first direct wheat cargo" in line)
        assert "|wire>" in wire_line and "|outlet-a>" in wire_line
        # a third outlet runs the dispatch later: no new alert, it goes into the daily digest
        s.store(copy("c3", "reprint_added", "outlet-d", 21))
        later = s.run(T0 + timedelta(minutes=50))
        assert later.messages == 0 and later.matched == 2
        assert s.rows("SELECT rule, folded FROM alert_matches WHERE article_id = ? ORDER BY rule",
                      "00000000000000c3") == [
            ("daily", 0), ("now", 1)]
        digest = s.run(T0 + timedelta(hours=1, minutes=1))
        assert digest.messages == 1
    daily = [r.json() for r in hook.requests if r.path == "/daily"]
    assert len(daily) == 1 and len(daily[0]["articles"]) == 4
    assert daily[0]["text"].splitlines()[0] == "*newsmon digest* · daily · 2 stories"
    assert len([r for r in hook.requests if r.path == "/now"]) == 1


def test_a_new_rule_starts_after_what_is_already_stored_and_dry_run_records_nothing(tmp_path: Path) -> None:
    with HttpReceiver() as hook:
        data = tmp_path / "data"
        with Store(data) as store:
            store.upsert_article(WHEAT[0], [WHEAT[0]["url"]])  # before any rule exists
        s = Setup(tmp_path, rules_yaml(f"{{type: webhook, url: '{hook.url}/n'}}"))
        s.store(WHEAT[1])
        dry = run_newsmon("alerts", "run", "--dry-run", "--alerts", str(s.file), "--data", str(data))
        assert dry.code == 0, dry.stderr
        assert "Blé kazakh au Maroc" in dry.stdout and "Kazakh wheat reaches" not in dry.stdout
        assert "1 message(s) would be sent" in dry.stderr
        assert hook.attempts == 0 and s.rows("SELECT COUNT(*) FROM alert_matches") == [(0,)]
        report = s.run(T0)
        assert (report.matched, report.sent) == (1, 1)
    assert [a["title"] for a in hook.requests[0].json()["articles"]] == ["Blé kazakh au Maroc"]
    tested = run_newsmon("alerts", "test", "wheat", "--alerts", str(s.file), "--data", str(data), "--json")
    assert tested.code == 2 and "no search index" in tested.stderr  # nothing indexed in this store


def test_feed_lists_the_rules_matches_as_atom(tmp_path: Path) -> None:
    import feedparser

    s = Setup(tmp_path, rules_yaml().replace("    channels:\n", "    channels: []\n"))
    s.store(*WHEAT, OFF_TOPIC, {**article("x1", "Wheat & <b>bold</b>\x07", "wheat " * 20)})
    report = s.run(T0)
    assert (report.matched, report.messages) == (3, 0)  # no channel: recorded for the feed only
    out = tmp_path / "wheat.atom"
    result = run_newsmon("alerts", "feed", "wheat", "--alerts", str(s.file), "--data", str(s.data), "-o", str(out),
                         "--self-url", "https://newsmon.example/feeds/wheat.atom")
    assert result.code == 0, result.stderr
    parsed = feedparser.parse(out.read_bytes())
    assert parsed.bozo == 0, parsed.bozo_exception
    assert parsed.feed.title == "newsmon: wheat"
    assert sorted(e.title for e in parsed.entries) == sorted(["Blé kazakh au Maroc", "Kazakh wheat reaches Casablanca",
                                                              "Wheat & <b>bold</b>"])
    assert {e.link for e in parsed.entries} >= {WHEAT[0]["url"], WHEAT[1]["url"]}
    assert b"<b>" not in out.read_bytes()


@pytest.mark.skipif(os.name != "posix", reason="flock")
def test_runs_take_a_lock(tmp_path: Path) -> None:
    with engine.run_lock(tmp_path):
        with pytest.raises(Exception, match="alerts lock"):
            with engine.run_lock(tmp_path, wait=0.3):
                pass


def test_a_delivery_whose_rule_was_removed_waits_and_is_reported(tmp_path: Path) -> None:
    with HttpReceiver(fail_first=1) as hook:
        s = Setup(tmp_path, rules_yaml(f"{{type: webhook, url: '{hook.url}/r'}}"))
        s.store(WHEAT[0])
        assert s.run(T0).failed == 1
        s.file.write_text("rules: []\n", encoding="utf-8")
        result = run_newsmon("alerts", "run", "--alerts", str(s.file), "--data", str(s.data))
        assert result.code == 0, result.stderr
        assert "1 waiting for a rule or channel no longer configured" in result.stderr
        assert hook.attempts == 1
        s.file.write_text(rules_yaml(f"{{type: webhook, url: '{hook.url}/r'}}"), encoding="utf-8")
        back = run_newsmon("alerts", "run", "--alerts", str(s.file), "--data", str(s.data))
        assert back.code == 0 and "1 delivered" in back.stderr
    assert len(hook.requests) == 1
