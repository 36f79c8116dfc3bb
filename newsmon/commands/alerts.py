"""`newsmon alerts`: deliver alerts, try a rule, read the delivery log, write a rule's feed."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from newsmon.alerts import engine, render
from newsmon.alerts.config import DEFAULT_ALERTS_FILE, AlertsFile, Rule, load_alerts
from newsmon.alerts.feed import atom_feed, latest_matches
from newsmon.alerts.match import passes_filters
from newsmon.commands.common import (data_option, default_data_dir, json_option, output_file, print_json, printable, table,
                                     user_errors)
from newsmon.search_index import SearchIndex
from newsmon.store import Store, StoreError
from newsmon.yamlconf import ConfigError


def alerts_option(fn):  # type: ignore[no-untyped-def]
    return click.option("--alerts", "alerts_file", type=click.Path(dir_okay=False, path_type=Path),
                        default=DEFAULT_ALERTS_FILE, show_default=True, help="Alert rules file.")(fn)


def _rule(config: AlertsFile, name: str, path: Path) -> Rule:
    rule = config.rule(name)
    if rule is None:
        known = ", ".join(r.name for r in config.rules) or "none"
        raise ConfigError(f"{path}: no rule named {name!r} (rules: {known})")
    return rule


def print_report(report: engine.Report, as_json: bool) -> None:
    if as_json:
        print_json(report.to_json())
        return
    for note in report.notes:
        click.echo(printable(f"newsmon: {note}"), err=True)
    for line in report.lines:
        click.echo(printable(f"newsmon: alert not delivered: {line}"), err=True)
    click.echo(report.summary(), err=True)


@click.group("alerts")
def alerts() -> None:
    """Alerts on new matches: run (deliver), test a rule, log, feed.

    Rules live in settings/alerts.yaml; see the README's Alerts section.
    """


@alerts.command("run")
@alerts_option
@data_option
@click.option("--dry-run", is_flag=True, help="Print what would be sent; send and record nothing.")
@json_option
@user_errors
def run_command(alerts_file: Path, data_dir: Path | None, dry_run: bool, as_json: bool) -> None:
    """Deliver everything pending: articles not yet evaluated, failed deliveries, due digests.

    Exits 1 when a delivery failed (it is retried on a later run).

    Example: newsmon alerts run --alerts settings/alerts.yaml
    """
    config = load_alerts(alerts_file)
    data_dir = data_dir or default_data_dir()
    if dry_run:
        messages = engine.plan(data_dir, config)
        if as_json:
            print_json(messages)
            return
        for m in messages:
            click.echo(f"--- {m['rule']} → {m['channel']}{' (retry)' if m.get('retry') else ''}: "
                       f"{render.subject(m['rule'], m['kind'], m['items'], m['per'])}")
            click.echo(render.plain_text(m["rule"], m["kind"], m["items"], m["per"], m["key"]))
        click.echo(f"dry run: {len(messages)} message(s) would be sent; nothing sent or recorded", err=True)
        return
    if not (data_dir / "newsmon.db").exists():
        raise StoreError(f"{data_dir / 'newsmon.db'}: no database yet (run `newsmon crawl` first)")
    try:
        report = engine.run(data_dir, config)
    except KeyboardInterrupt:
        click.echo("newsmon: alerts interrupted; the next `newsmon alerts run` resumes (a message being sent at "
                   "that moment may be sent again, with the same idempotency key)", err=True)
        sys.exit(130)
    print_report(report, as_json)
    sys.exit(1 if report.failed or report.dead else 0)


@alerts.command("test")
@click.argument("rule_name", metavar="RULE")
@alerts_option
@data_option
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@json_option
@user_errors
def test_command(rule_name: str, alerts_file: Path, data_dir: Path | None, limit: int, as_json: bool) -> None:
    """Show what RULE matches among stored articles now, newest first, without sending.

    Example: newsmon alerts test kazakh-wheat
    """
    config = load_alerts(alerts_file)
    rule = _rule(config, rule_name, alerts_file)
    data_dir = data_dir or default_data_dir()
    if not (data_dir / "index").exists():
        raise StoreError(f"{data_dir}: no search index yet (run `newsmon crawl` or `newsmon reindex`)")
    index = SearchIndex(data_dir / "index")
    hits = index.search(rule.node, limit=max(index.count(), 1))
    with Store(data_dir, readonly=True) as store:
        found = store.get_articles([h.id for h in hits])
    matched = [a for a in found.values() if passes_filters(rule, a)]
    matched.sort(key=lambda a: (a.get("published_at") or "", a["id"]), reverse=True)
    rows = [{"id": a["id"], "published_at": a.get("published_at"), "source": a["source"], "lang": a.get("lang"),
             "title": a.get("title"), "url": a.get("url"), "story_id": a.get("story_id"),
             "matched_terms": engine.matched_terms(a, rule)} for a in matched[:limit]]
    if as_json:
        print_json(rows)
        return
    table(["published", "source", "lang", "title", "matched", "url"],
          [[r["published_at"] or "", r["source"], r["lang"] or "", r["title"] or "", ", ".join(r["matched_terms"]),
            r["url"]] for r in rows], title=f"{rule.name}: {len(matched)} match(es)")


@alerts.command("log")
@data_option
@click.option("--rule", "rule_name", default=None, help="Only this rule.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@json_option
@user_errors
def log_command(data_dir: Path | None, rule_name: str | None, limit: int, as_json: bool) -> None:
    """Deliveries, newest first: rule, channel, status (sent, retry, dead, pending), attempts, last error.

    Example: newsmon alerts log --rule kazakh-wheat
    """
    with Store(data_dir or default_data_dir(), readonly=True) as store:
        try:
            cursor = store.db.execute(
                "SELECT d.id, a.created_at, a.rule, a.kind, json_array_length(a.items) AS articles, d.label, d.status, "
                "d.attempts, d.sent_at, d.next_attempt_at, d.last_error, a.idempotency_key "
                "FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id "
                "WHERE (? IS NULL OR a.rule = ?) ORDER BY d.id DESC LIMIT ?", (rule_name, rule_name, limit))
        except Exception as exc:  # a store no alert run has touched yet (old schema)
            raise StoreError(f"{store.path}: no alert state yet (run `newsmon alerts run`): {exc}") from None
        rows = [dict(r) for r in cursor]
    if as_json:
        print_json(rows)
        return
    table(["id", "created", "rule", "kind", "articles", "channel", "status", "attempts", "sent / next try", "error"],
          [[r["id"], r["created_at"], r["rule"], r["kind"], r["articles"], r["label"], r["status"], r["attempts"],
            r["sent_at"] or (r["next_attempt_at"] if r["status"] in ("pending", "retry") else ""),
            r["last_error"] or ""] for r in rows])


@alerts.command("feed")
@click.argument("rule_name", metavar="RULE")
@alerts_option
@data_option
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--self-url", default=None, help="The URL the feed will be served at (its rel=self link).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the feed to this file (default: stdout).")
@user_errors
def feed_command(rule_name: str, alerts_file: Path, data_dir: Path | None, limit: int, self_url: str | None,
                 output: Path | None) -> None:
    """Write an Atom feed of RULE's latest matches (as recorded by alert runs).

    Example: newsmon alerts feed kazakh-wheat -o wheat.atom
    """
    config = load_alerts(alerts_file)
    rule = _rule(config, rule_name, alerts_file)
    with output_file(output, binary=True) as out:  # a path that cannot be written: exit 2 before reading
        with Store(data_dir or default_data_dir(), readonly=True) as store:
            try:
                matches = latest_matches(store, rule.name, limit)
            except Exception as exc:
                raise StoreError(f"{store.path}: no alert state yet (run `newsmon alerts run`): {exc}") from None
        out.write(atom_feed(rule.name, matches, self_url=self_url))
    if output is not None:
        click.echo(f"{output}: {len(matches)} entr{'y' if len(matches) == 1 else 'ies'}", err=True)
