"""alerts.yaml is validated at load: a bad rule is one line naming it and the reason, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmon.alerts.config import load_alerts, mask
from newsmon.config import DEFAULT_ALERTS_FILE
from tests.conftest import run_newsmon

BAD = {
    "unknown channel type": ("rules:\n  - name: r1\n    query: wheat\n    channels:\n      - type: pigeon\n        url: x\n",
                             ":5: rules[r1].channels[0]: unknown channel type (expected one of: webhook, email, apprise)"),
    "bad cron line": ("rules:\n  - name: r1\n    query: wheat\n    digest: '0 25 * * *'\n",
                      ":4: rules[r1].digest: bad cron line '0 25 * * *'"),
    "query with no word": ("rules:\n  - name: r1\n    query: '-football'\n",
                           ":3: rules[r1].query: the query names no word to look for"),
    "query mixing AND and OR": ("rules:\n  - name: r1\n    query: 'wheat AND blé OR grano'\n",
                                ":3: rules[r1].query: bad query: column 15, near 'OR grano': AND and OR mixed"),
    "unclosed quote": ("rules:\n  - name: r1\n    query: '(wheat OR \"blé'\n",
                       ":3: rules[r1].query: bad query: column 11, near '\"blé': this quote is never closed"),
    "empty query": ("rules:\n  - name: r1\n    query: '  '\n", ":3: rules[r1].query: empty query"),
    "unset variable": ("rules:\n  - name: r1\n    query: wheat\n    channels: [{type: webhook, url: 'https://h.example/${NEWSMON_TEST_UNSET}'}]\n",
                       "rules[r1].channels[0].webhook.url: environment variable NEWSMON_TEST_UNSET is not set"),
    "not an apprise url": ("rules:\n  - name: r1\n    query: wheat\n    channels: [{type: apprise, url: 'nosuch://x'}]\n",
                           "rules[r1].channels[0].apprise.url: not a usable Apprise URL (scheme 'nosuch'"),
    "email without smtp": ("rules:\n  - name: r1\n    query: wheat\n    channels: [{type: email, to: [a@b.org]}]\n",
                           ":4: rules[r1].channels[0]: an email channel needs an smtp: section"),
    "duplicate rule": ("rules:\n  - name: r1\n    query: wheat\n  - name: r1\n    query: blé\n",
                       ":4: rules[r1].name: duplicate rule name 'r1'"),
    "misspelt key": ("rules:\n  - name: r1\n    query: wheat\n    per: storey\n",
                     ":4: rules[r1].per: Input should be 'article' or 'story'"),
    "bad address": ("rules:\n  - name: r1\n    query: wheat\n    channels: [{type: email, to: [nobody]}]\nsmtp: {host: h, from: a@b.org}\n",
                    "not an e-mail address: 'nobody'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_rule_is_one_line_with_its_name_and_reason(case: str, tmp_path: Path) -> None:
    text, expected = BAD[case]
    path = tmp_path / "alerts.yaml"
    path.write_text(text, encoding="utf-8")
    from newsmon.yamlconf import ConfigError

    with pytest.raises(ConfigError) as err:
        load_alerts(path)
    assert expected in str(err.value) and str(path) in str(err.value) and "\n" not in str(err.value)


def test_cli_exits_2_on_a_bad_rule_before_doing_anything(tmp_path: Path) -> None:
    path = tmp_path / "alerts.yaml"
    path.write_text(BAD["bad cron line"][0], encoding="utf-8")
    data = tmp_path / "data"
    result = run_newsmon("alerts", "run", "--alerts", str(path), "--data", str(data))
    assert result.code == 2
    assert result.stderr.strip().count("\n") == 0
    assert "rules[r1].digest: bad cron line" in result.stderr
    crawl = run_newsmon("crawl", "--alerts", str(path), "--data", str(data))
    assert crawl.code == 2 and "rules[r1].digest: bad cron line" in crawl.stderr
    assert not data.exists()  # nothing was created, nothing crawled


def test_shipped_file_is_valid_and_has_a_rule_for_the_shipped_topic() -> None:
    config = load_alerts(DEFAULT_ALERTS_FILE)
    assert [r.name for r in config.rules] == ["kazakh-wheat"]
    assert config.rules[0].topics == ["morocco-kazakhstan"] and config.rules[0].channels == []


def test_secrets_come_from_the_environment_and_are_masked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSMON_TEST_TOKEN", "tok-1234567890")
    path = tmp_path / "alerts.yaml"
    path.write_text("rules:\n  - name: r1\n    query: wheat\n    channels:\n"
                    "      - {type: webhook, url: 'https://hooks.example/services/${NEWSMON_TEST_TOKEN}',"
                    " headers: {Authorization: 'Bearer ${NEWSMON_TEST_TOKEN}'}}\n"
                    "      - {type: apprise, url: 'json://user:${NEWSMON_TEST_TOKEN}@127.0.0.1:9/'}\n", encoding="utf-8")
    config = load_alerts(path)
    hook, apprise_channel = config.rules[0].channels
    assert hook.resolved_url() == "https://hooks.example/services/tok-1234567890"
    assert hook.resolved_headers() == {"Authorization": "Bearer tok-1234567890"}
    assert hook.label == "webhook https://hooks.example/…"
    assert "tok-1234567890" not in apprise_channel.label and apprise_channel.label.startswith("apprise json://user:")
    assert mask("failed: https://hooks.example/services/tok-1234567890") == "failed: https://hooks.example/services/***"
    # the identity of a channel is its written form: rotating the secret does not resend anything
    monkeypatch.setenv("NEWSMON_TEST_TOKEN", "tok-rotated-000")
    assert load_alerts(path).rules[0].channels[0].key == hook.key


def test_digest_weekdays_mean_what_crontab_says(tmp_path: Path) -> None:
    # APScheduler numbers weekdays from Monday = 0; crontab from Sunday = 0. A desk that asks for
    # "0 8 * * 1" wants its digest on Monday morning, in its own zone, like a source's schedule.
    from datetime import datetime, timezone

    path = tmp_path / "alerts.yaml"
    path.write_text("rules:\n  - name: weekly\n    query: wheat\n    digest: '0 8 * * 1'\n"
                    "    timezone: Asia/Almaty\n", encoding="utf-8")
    (rule,) = load_alerts(path).rules
    fire = rule.trigger().get_next_fire_time(None, datetime(2026, 12, 3, tzinfo=timezone.utc))
    assert fire.strftime("%A %H:%M") == "Monday 08:00" and fire.utcoffset().total_seconds() == 5 * 3600
