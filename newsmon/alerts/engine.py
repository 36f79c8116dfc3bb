"""Alert evaluation and delivery, with the state that makes them exactly-once per channel.

The flow of one run (``newsmon alerts run``, or after ``newsmon crawl --alerts``):

1. **Stories.** Articles stored since the last pass get their ``story_id`` (newsmon.stories).
2. **Evaluate.** Outbox rows not yet seen by alerts (``outbox.alerted_at IS NULL``), oldest first,
   in batches: each rule's filters, then its query (:mod:`newsmon.alerts.match`). Each match is
   one ``alert_matches`` row, keyed (rule, article): a re-crawl or an update of the article can
   never alert that rule on it again. The matches and the ``alerted_at`` marks of the batch are
   written in ONE transaction, so a crash re-evaluates the batch, never skips it. Nothing is
   time-window polling: an article indexed late is still an unmarked outbox row.
3. **Compose.** For each rule without a digest, the matches not yet in a message become ONE
   message (an ``alerts`` row, its items frozen) plus ONE ``alert_deliveries`` row per channel,
   in one transaction. A digest rule does the same when its cron time has passed.
4. **Deliver.** Each due delivery row is marked ``sending`` (committed), sent, then marked
   ``sent``, or ``retry`` with exponential backoff, or ``dead`` after ``max_attempts``. Rows are
   independent: a channel that always fails never holds back another.

Guarantee: per (rule, article, channel), at most one message is *created*, and it is retried
until the channel accepts it or it is given up (reported as dead). If the process dies after a
channel accepted a message and before ``sent`` is committed, the row is still ``sending``; the
next run sends it again, with the same idempotency key (``Idempotency-Key`` header and
``idempotency_key`` in the webhook body, the same e-mail ``Message-ID``) so the receiver can drop
the replay. That one instant is at-least-once; everything else is exactly once. Runs take a lock
file in the data directory, so two runs never send the same row at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from newsmon import stories
from newsmon.alerts import render, send
from newsmon.alerts.config import AlertsFile, AppriseChannel, EmailChannel, Rule, WebhookChannel, mask
from newsmon.alerts.match import EmbeddedMatcher, FallbackMatcher, Matcher, passes_filters
from newsmon.es.hooks import percolation
from newsmon.query import positive_terms
from newsmon.snippets import make_snippet, match_spans
from newsmon.store import Store, StoreError, iso_utc

BATCH = 1000
LOCK_NAME = "alerts.lock"
LOCK_WAIT_SECONDS = 120.0
FAULT_ENV = "NEWSMON_ALERTS_FAULT"  # "exit-after-send": die between a send and its record (tests)
MAX_TERMS = 10


@dataclass
class Report:
    evaluated: int = 0
    matched: int = 0
    messages: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0
    unroutable: int = 0  # deliveries whose rule or channel is no longer configured
    claimed_elsewhere: int = 0  # shared frontier: another worker claimed (and sends or sent) the message
    stories_assigned: int = 0
    backend: str = "embedded"  # what matched the rules: "embedded" or "elasticsearch" (percolation)
    lines: list[str] = field(default_factory=list)  # one per failure, safe to print
    notes: list[str] = field(default_factory=list)  # e.g. why percolation was not used

    def summary(self) -> str:
        text = (f"alerts: {self.evaluated} article(s) evaluated, {self.matched} match(es), "
                f"{self.messages} new message(s); {self.sent} delivered, {self.failed} failed (will retry), "
                f"{self.dead} given up")
        if self.unroutable:
            text += f", {self.unroutable} waiting for a rule or channel no longer configured"
        if self.claimed_elsewhere:
            text += f", {self.claimed_elsewhere} left to the worker that claimed them"
        return text

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("evaluated", "matched", "messages", "sent", "failed", "dead",
                                               "unroutable", "stories_assigned", "backend", "claimed_elsewhere")} | {
            "problems": self.lines, "notes": self.notes}


def utc(moment: datetime | None = None) -> datetime:
    return (moment or datetime.now(timezone.utc)).astimezone(timezone.utc)


def idempotency_key(rule: str, article_ids: list[str]) -> str:
    """sha256 of the rule name and its sorted article ids: the same message always has the same key."""
    material = rule + "\n" + "\n".join(sorted(article_ids))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


@contextmanager
def run_lock(data_dir: Path, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """One alert run per data directory at a time (released by the OS if the process dies)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / LOCK_NAME, "a+b") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreError(f"{data_dir}: another `newsmon alerts run` has held the alerts lock for "
                                     f"{wait:g}s") from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# -- rules ---------------------------------------------------------------------------------------

def register_rules(store: Store, config: AlertsFile, now: datetime | None = None) -> list[str]:
    """Rules seen for the first time start at the current end of the outbox: they alert on
    articles stored from now on, never on the whole back catalogue. Returns the new names."""
    known = {r[0] for r in store.db.execute("SELECT name FROM alert_rules")}
    new = [rule.name for rule in config.rules if rule.name not in known]
    if new:
        with store.transaction() as db:
            end = db.execute("SELECT COALESCE(MAX(id), 0) FROM outbox").fetchone()[0]
            db.executemany("INSERT OR IGNORE INTO alert_rules (name, start_outbox_id, created_at) VALUES (?, ?, ?)",
                           [(name, end, iso_utc(utc(now))) for name in new])
    return new


def _starts(store: Store) -> dict[str, int]:
    return {r[0]: r[1] for r in store.db.execute("SELECT name, start_outbox_id FROM alert_rules")}


# -- evaluation --------------------------------------------------------------------------------

@dataclass
class Match:
    rule: str
    article: dict[str, Any]
    terms: list[str]


def matched_terms(article: dict[str, Any], rule: Rule) -> list[str]:
    """The words of the article (title, then text) the query matched, as written, distinct."""
    terms = positive_terms(rule.node)
    out: dict[str, str] = {}
    for text in (article.get("title") or "", article.get("text") or ""):
        for start, end in match_spans(text, article.get("lang"), terms):
            word = " ".join(text[start:end].split())
            out.setdefault(word.casefold(), word)
            if len(out) >= MAX_TERMS:
                return list(out.values())
    return list(out.values())


def find_matches(rules: list[Rule], articles: list[dict[str, Any]], matcher: Matcher,
                 eligible: dict[str, set[str]] | None = None) -> list[Match]:
    """Each rule's filters, then its query, over a batch of articles (one matcher call for all
    rules). ``eligible``: per rule, the ids it may consider at all (default: every article)."""
    wanted = {rule.name: [a for a in articles if passes_filters(rule, a)
                          and (eligible is None or a["id"] in eligible[rule.name])] for rule in rules}
    candidates = list({a["id"]: a for group in wanted.values() for a in group}.values())
    found = matcher.matches([r for r in rules if wanted[r.name]], candidates)
    out = []
    for rule in rules:
        ids = found.get(rule.name, set())
        out.extend(Match(rule.name, a, matched_terms(a, rule)) for a in wanted[rule.name] if a["id"] in ids)
    return out


def evaluate(store: Store, config: AlertsFile, matcher: Matcher, now: datetime, report: Report) -> None:
    """Every outbox row not yet evaluated, in batches; matches and marks commit together."""
    starts = _starts(store)
    rules = [r for r in config.rules if r.name in starts]
    by_name = {r.name: r for r in rules}
    stamp = iso_utc(now)
    # rows no rule can ever consider (stored before every current rule began) are marked without
    # loading them: the first run on a large store does not read its whole back catalogue
    with store.transaction() as db:
        floor = min(starts[r.name] for r in rules) if rules else db.execute(
            "SELECT COALESCE(MAX(id), 0) FROM outbox").fetchone()[0]
        db.execute("UPDATE outbox SET alerted_at = ? WHERE alerted_at IS NULL AND id <= ?", (stamp, floor))
    while True:
        rows = store.db.execute("SELECT id, article_id FROM outbox WHERE alerted_at IS NULL ORDER BY id LIMIT ?",
                                (BATCH,)).fetchall()
        if not rows:
            return
        articles = store.get_articles(list(dict.fromkeys(r[1] for r in rows)))
        last_row = {r[1]: r[0] for r in rows}  # an article queued twice: its latest event decides
        eligible = {rule.name: {aid for aid in articles if last_row[aid] > starts[rule.name]} for rule in rules}
        matches = find_matches(rules, list(articles.values()), matcher, eligible)
        with store.transaction() as db:
            for m in matches:
                story = m.article.get("story_id") or m.article["id"]
                folded = 0
                if by_name[m.rule].per == "story":
                    folded = 1 if db.execute(
                        "SELECT 1 FROM alert_matches WHERE rule = ? AND story_id = ? AND alert_id IS NOT NULL LIMIT 1",
                        (m.rule, story)).fetchone() else 0
                cur = db.execute(
                    "INSERT OR IGNORE INTO alert_matches (rule, article_id, story_id, matched_terms, matched_at, folded) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (m.rule, m.article["id"], story, json.dumps(m.terms, ensure_ascii=False), stamp, folded))
                report.matched += cur.rowcount
            db.executemany("UPDATE outbox SET alerted_at = ? WHERE id = ?", [(stamp, r[0]) for r in rows])
        report.evaluated += len(articles)


# -- composing messages --------------------------------------------------------------------------

def _item(article: dict[str, Any], terms: list[str], rule: Rule) -> dict[str, Any]:
    snippet = make_snippet(article.get("text") or "", article.get("lang"), positive_terms(rule.node))
    return {
        "id": article["id"], "url": article.get("canonical_url") or article.get("url"), "title": article.get("title"),
        "source": article.get("source"), "lang": article.get("lang"), "published_at": article.get("published_at"),
        "snippet": snippet.plain("", ""), "matched_terms": terms, "story_id": article.get("story_id"),
    }


def _pending(store: Store, rule: Rule) -> list[tuple[str, list[str]]]:
    """Matches of ``rule`` not yet in any message. A rule without a digest leaves out later
    copies of a story it already sent (they wait for a digest, or are only recorded)."""
    sql = "SELECT article_id, matched_terms FROM alert_matches WHERE rule = ? AND alert_id IS NULL"
    if not rule.digest:
        sql += " AND folded = 0"
    rows = store.db.execute(sql + " ORDER BY matched_at, article_id", (rule.name,)).fetchall()
    return [(r[0], json.loads(r[1])) for r in rows]


def compose(store: Store, rule: Rule, kind: str, now: datetime, *, write: bool = True) -> dict[str, Any] | None:
    """One message with every pending match of ``rule``, and one delivery row per channel, in
    one transaction. Returns the message (or None: nothing pending, or no channel)."""
    if not rule.channels:
        return None  # matches are recorded for the feed only
    pending = _pending(store, rule)
    if not pending:
        return None
    articles = store.get_articles([aid for aid, _ in pending])
    items = [_item(articles[aid], terms, rule) for aid, terms in pending if aid in articles]
    items.sort(key=lambda i: (i.get("story_id") or i["id"], i.get("published_at") or "", i["id"]))
    if rule.per == "story":  # stories in the order they broke, each story's copies together
        first: dict[str, str] = {}
        for i in items:
            key = i.get("story_id") or i["id"]
            first[key] = min(first.get(key, "~"), i.get("published_at") or "~")
        items.sort(key=lambda i: (first[i.get("story_id") or i["id"]], i.get("story_id") or i["id"],
                                  i.get("published_at") or "", i["id"]))
    else:
        items.sort(key=lambda i: (i.get("published_at") or "~", i["id"]))
    key = idempotency_key(rule.name, [aid for aid, _ in pending])
    message = {"rule": rule.name, "kind": kind, "key": key, "items": items}
    if not write:
        return message
    stamp = iso_utc(now)
    with store.transaction() as db:
        cur = db.execute("INSERT INTO alerts (rule, kind, created_at, idempotency_key, items) VALUES (?, ?, ?, ?, ?)",
                         (rule.name, kind, stamp, key, json.dumps(items, ensure_ascii=False)))
        alert_id = cur.lastrowid
        db.executemany("UPDATE alert_matches SET alert_id = ? WHERE rule = ? AND article_id = ?",
                       [(alert_id, rule.name, aid) for aid, _ in pending])
        db.executemany(
            "INSERT INTO alert_deliveries (alert_id, channel, label, status, next_attempt_at) VALUES (?, ?, ?, 'pending', ?)",
            [(alert_id, c.key, c.label, stamp) for c in rule.channels])
    message["id"] = alert_id
    return message


def digest_due(store: Store, rule: Rule, now: datetime, *, write: bool = True) -> bool:
    """Has the digest's cron time passed since it last fired? The first run only records now."""
    trigger = rule.trigger()
    assert trigger is not None
    row = store.db.execute("SELECT last_fire_at FROM alert_digests WHERE rule = ?", (rule.name,)).fetchone()
    if row is None:
        if write:
            with store.transaction() as db:
                db.execute("INSERT OR IGNORE INTO alert_digests (rule, last_fire_at) VALUES (?, ?)",
                           (rule.name, iso_utc(now)))
        return False
    last = datetime.fromisoformat(row[0].replace("Z", "+00:00"))
    fire = next_fire(trigger, last)
    if fire is None or fire > now:
        return False
    while (following := next_fire(trigger, fire)) is not None and following <= now:
        fire = following  # missed fire times (machine off) coalesce into one digest
    if write:
        with store.transaction() as db:
            db.execute("UPDATE alert_digests SET last_fire_at = ? WHERE rule = ?", (iso_utc(fire), rule.name))
    return True


def next_fire(trigger: Any, after: datetime) -> datetime | None:
    """The trigger's first fire time strictly after ``after`` (UTC)."""
    nxt = trigger.get_next_fire_time(None, after + timedelta(seconds=1))
    return utc(nxt) if nxt is not None else None


# -- delivery ------------------------------------------------------------------------------------

Sender = Callable[[Any, dict[str, Any], AlertsFile, Rule, str, datetime], None]


def send_one(channel: Any, message: dict[str, Any], config: AlertsFile, rule: Rule, channel_key: str,
             now: datetime) -> None:
    items, kind, key = message["items"], message["kind"], message["key"]
    if isinstance(channel, WebhookChannel):
        send.send_webhook(channel, render.payload(rule.name, kind, items, key, rule.per), key)
    elif isinstance(channel, EmailChannel):
        assert config.smtp is not None
        msg = render.email_message(rule.name, kind, items, key, sender=config.smtp.from_, to=channel.to,
                                   channel=channel_key, date=now, per=rule.per)
        send.send_email(config.smtp, msg)
    elif isinstance(channel, AppriseChannel):
        send.send_apprise(channel, render.subject(rule.name, kind, items, rule.per),
                          render.plain_text(rule.name, kind, items, rule.per, key))
    else:  # pragma: no cover - config validation admits no other type
        raise send.DeliveryError(f"unknown channel {channel!r}")


def backoff(config: AlertsFile, attempts: int) -> float:
    return min(config.retry_base_seconds * 2 ** max(attempts - 1, 0), config.retry_max_seconds)


def deliver(store: Store, config: AlertsFile, now: datetime, report: Report, sender: Sender = send_one,
            claims: Any = None) -> None:
    """Every due delivery: new, to retry, or left ``sending`` by a process that died.

    ``claims`` (:class:`newsmon.frontier.Claims`, workers of a shared frontier): each message is
    claimed on (idempotency key, channel) with an atomic create before it is sent, confirmed
    after, released after a failure; a message another worker claimed is not sent here."""
    stamp = iso_utc(now)
    rows = store.db.execute(
        "SELECT d.id, d.channel, d.label, d.attempts, a.rule, a.kind, a.idempotency_key, a.items, d.status "
        "FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id "
        "WHERE (d.status IN ('pending', 'retry') AND d.next_attempt_at <= ?) OR d.status = 'sending' "
        "ORDER BY d.id", (stamp,)).fetchall()
    for row in rows:
        delivery_id, channel_key, label, attempts, rule_name = row[0], row[1], row[2], row[3], row[4]
        rule = config.rule(rule_name)
        channel = rule.channel(channel_key) if rule else None
        if rule is None or channel is None:
            report.unroutable += 1
            continue
        message = {"kind": row[5], "key": row[6], "items": json.loads(row[7])}
        if claims is not None and not claims.claim(row[6], channel_key):
            report.claimed_elsewhere += 1  # sent (or being sent) by the worker holding the claim
            with store.transaction() as db:
                db.execute("UPDATE alert_deliveries SET status = 'sent', last_error = ? WHERE id = ?",
                           ("claimed by another worker of the shared frontier", delivery_id))
            continue
        with store.transaction() as db:
            db.execute("UPDATE alert_deliveries SET status = 'sending' WHERE id = ?", (delivery_id,))
        attempts += 1
        try:
            sender(channel, message, config, rule, channel_key, now)
        except Exception as exc:  # noqa: BLE001 - whatever went wrong, this row alone is retried
            reason = mask(str(exc) if isinstance(exc, send.DeliveryError)
                          else f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
            dead = attempts >= config.max_attempts
            retry_at = iso_utc(now + timedelta(seconds=backoff(config, attempts)))
            with store.transaction() as db:
                db.execute("UPDATE alert_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ? "
                           "WHERE id = ?", ("dead" if dead else "retry", attempts, retry_at, reason, delivery_id))
            if claims is not None:
                claims.release(row[6], channel_key)
            if dead:
                report.dead += 1
                report.lines.append(f"{rule_name} → {label}: {reason} (attempt {attempts}/{config.max_attempts}, "
                                    f"given up)")
            else:
                report.failed += 1
                report.lines.append(f"{rule_name} → {label}: {reason} (attempt {attempts}/{config.max_attempts}, "
                                    f"retry after {retry_at})")
            continue
        if os.environ.get(FAULT_ENV) == "exit-after-send":
            os._exit(70)  # fault injection: the channel accepted, the record is not written
        if claims is not None:
            claims.confirm(row[6], channel_key)
        with store.transaction() as db:
            db.execute("UPDATE alert_deliveries SET status = 'sent', attempts = ?, sent_at = ?, last_error = NULL "
                       "WHERE id = ?", (attempts, iso_utc(utc()), delivery_id))
        report.sent += 1


# -- one run -------------------------------------------------------------------------------------

def run(data_dir: str | Path, config: AlertsFile, *, now: datetime | None = None, matcher: Matcher | None = None,
        sender: Sender = send_one, claims: Any = None) -> Report:
    """Everything pending: stories, unevaluated articles, new and due digest messages, and
    every due delivery (new, failed, interrupted). Without ``matcher``: Elasticsearch
    percolation when a cluster is configured (the rules are registered in its rules index
    first), else, or when the cluster fails, the embedded index."""
    data_dir = Path(data_dir)
    now = utc(now)
    report = Report()
    with run_lock(data_dir), Store(data_dir) as store, ExitStack() as stack:
        register_rules(store, config, now)
        report.stories_assigned = stories.assign_pending(store)
        if matcher is None and store.db.execute("SELECT 1 FROM outbox WHERE alerted_at IS NULL LIMIT 1").fetchone():
            fallback = FallbackMatcher(stack.enter_context(percolation(config.rules, report.notes.append)),
                                       report.notes.append)
            matcher = fallback
        evaluate(store, config, matcher or EmbeddedMatcher(), now, report)
        report.backend = getattr(matcher, "backend", "embedded")
        for rule in config.rules:
            if rule.digest:
                if digest_due(store, rule, now) and compose(store, rule, "digest", now):
                    report.messages += 1
            elif compose(store, rule, "alert", now):
                report.messages += 1
        deliver(store, config, now, report, sender, claims)
    return report


def plan(data_dir: str | Path, config: AlertsFile, *, now: datetime | None = None,
         matcher: Matcher | None = None) -> list[dict[str, Any]]:
    """What a run would send now, without writing anything (``--dry-run``): messages for
    pending and newly matching articles, and due deliveries already queued."""
    data_dir = Path(data_dir)
    now = utc(now)
    out: list[dict[str, Any]] = []
    if not (data_dir / "newsmon.db").exists():
        raise StoreError(f"{data_dir / 'newsmon.db'}: no database yet (run `newsmon crawl` first)")
    with Store(data_dir) as store:  # writable only to bring the schema up to date; nothing else is written
        starts = _starts(store)
        rows = store.db.execute("SELECT id, article_id FROM outbox WHERE alerted_at IS NULL ORDER BY id").fetchall()
        articles = store.get_articles(list(dict.fromkeys(r[1] for r in rows)))
        last_row = {r[1]: r[0] for r in rows}
        done = {(r[0], r[1]) for r in store.db.execute("SELECT rule, article_id FROM alert_matches")}
        for rule in config.rules:
            if rule.name not in starts or not rule.channels:
                continue
            eligible = [a for aid, a in articles.items() if last_row[aid] > starts[rule.name]]
            fresh = [m for m in find_matches([rule], eligible, matcher or EmbeddedMatcher())
                     if (rule.name, m.article["id"]) not in done]
            pending = _pending(store, rule)
            if rule.digest and not digest_due(store, rule, now, write=False):
                continue
            got = store.get_articles([aid for aid, _ in pending])
            items = [_item(got[aid], terms, rule) for aid, terms in pending if aid in got]
            items += [_item(m.article, m.terms, rule) for m in fresh]
            if items:
                key = idempotency_key(rule.name, [i["id"] for i in items])
                out += [{"rule": rule.name, "kind": "digest" if rule.digest else "alert", "key": key,
                         "channel": c.label, "items": items, "per": rule.per} for c in rule.channels]
        for row in store.db.execute(
                "SELECT d.label, a.rule, a.kind, a.idempotency_key, a.items FROM alert_deliveries d "
                "JOIN alerts a ON a.id = d.alert_id WHERE (d.status IN ('pending', 'retry') AND d.next_attempt_at <= ?) "
                "OR d.status = 'sending' ORDER BY d.id", (iso_utc(now),)):
            rule = config.rule(row[1])
            out.append({"rule": row[1], "kind": row[2], "key": row[3], "channel": row[0], "items": json.loads(row[4]),
                        "per": rule.per if rule else "article", "retry": True})
    return out
