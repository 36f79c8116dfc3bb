"""Alert messages, rendered purely from a frozen list of items (tested on exact output).

An *item* is one matched article as frozen in the ``alerts`` row when the alert was created:
``{"id", "url", "title", "source", "lang", "published_at", "snippet", "matched_terms",
"story_id"}``. Rendering never reads the store or the clock, so a retry sends the same bytes
and the tests compare whole messages.

Crawled strings are untrusted: they are stripped of control and bidi-override characters
everywhere, HTML-escaped in the HTML part, Slack-escaped (``& < >``) in ``text``, and wrapped in
Unicode first-strong isolates (U+2068 … U+2069) in plain text, so an Arabic title cannot reorder
the rule name or the count around it.
"""

from __future__ import annotations

import html
import re
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

# C0/C1 controls (ANSI escapes, CR/LF header injection) and bidi embeddings/overrides/isolates:
# a crawled title must not be able to unbalance the isolates we add.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
FSI, PDI = "\u2068", "\u2069"
MAX_SUBJECT_TITLE = 80
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


def clean(value: Any) -> str:
    """One line of crawled text, safe anywhere: controls and bidi controls removed."""
    text = "" if value is None else str(value)
    return re.sub(r"\s+", " ", _UNSAFE.sub(" ", text)).strip()


def isolate(value: Any) -> str:
    return f"{FSI}{clean(value)}{PDI}"


def safe_url(value: Any) -> str | None:
    """An http(s) URL fit for a link, or None (a ``javascript:`` URL is never linked)."""
    url = clean(value)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return url


def _noun(kind: str, count: int, per: str) -> str:
    word = ("story" if count == 1 else "stories") if per == "story" else ("article" if count == 1 else "articles")
    return f"{count} {word}" if kind == "digest" else f"{count} new {word}"


def groups(items: list[dict[str, Any]], per: str) -> list[list[dict[str, Any]]]:
    """Items as shown: one group per article, or per story (every outlet that ran it)."""
    if per != "story":
        return [[item] for item in items]
    out: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        out.setdefault(item.get("story_id") or item["id"], []).append(item)
    return list(out.values())


def subject(rule: str, kind: str, items: list[dict[str, Any]], per: str = "article") -> str:
    """``[newsmon] RULE: N new articles — ⁨first title⁩`` (isolated, cut at 80 characters)."""
    shown = groups(items, per)
    head = f"[newsmon] {rule}{' digest' if kind == 'digest' else ''}: {_noun(kind, len(shown), per)}"
    if not shown:
        return head
    title = clean(shown[0][0].get("title")) or "(no title)"
    if len(title) > MAX_SUBJECT_TITLE:
        title = title[:MAX_SUBJECT_TITLE - 1].rstrip() + "…"
    return f"{head} — {FSI}{title}{PDI}"


def plain_text(rule: str, kind: str, items: list[dict[str, Any]], per: str = "article", key: str = "") -> str:
    shown = groups(items, per)
    lines = [f"newsmon {'digest' if kind == 'digest' else 'alert'} · {rule} · {_noun(kind, len(shown), per)}", ""]
    for number, group in enumerate(shown, 1):
        first = group[0]
        lines.append(f"{number}. {isolate(first.get('title') or '(no title)')}")
        for item in group:
            meta = " · ".join(clean(x) for x in (item.get("source"), item.get("lang"), item.get("published_at")) if x)
            lines.append(f"   {meta}")
            lines.append(f"   {clean(item.get('url'))}")
        if first.get("matched_terms"):
            lines.append(f"   matched: {', '.join(isolate(t) for t in first['matched_terms'])}")
        if first.get("snippet"):
            lines.append(f"   {isolate(first['snippet'])}")
        lines.append("")
    if key:
        lines.append(f"ref {key}")
    return "\n".join(lines).rstrip("\n") + "\n"


def _slack(value: Any) -> str:
    return clean(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_link(url: Any, label: Any) -> str:
    link = safe_url(url)
    text = _slack(label) or "(no title)"
    if link is None:
        return text
    target = quote(link, safe=_URL_SAFE)  # "<", ">" and "|" would end Slack's link early
    return f"<{target}|{text.replace('|', '¦')}>"


def slack_text(rule: str, kind: str, items: list[dict[str, Any]], per: str = "article") -> str:
    """Slack/Mattermost mrkdwn: ``<url|title>`` links, ``& < >`` escaped."""
    shown = groups(items, per)
    lines = [f"*newsmon {'digest' if kind == 'digest' else 'alert'}* · {_slack(rule)} · {_noun(kind, len(shown), per)}"]
    for group in shown:
        first = group[0]
        outlets = ", ".join(_slack_link(i.get("url"), i.get("source")) for i in group)
        when = f" · {_slack(first.get('published_at'))}" if first.get("published_at") else ""
        lines.append(f"• {_slack_link(first.get('url'), first.get('title'))} ({outlets}{when})")
    return "\n".join(lines)


def payload(rule: str, kind: str, items: list[dict[str, Any]], key: str, per: str = "article") -> dict[str, Any]:
    """The webhook body."""
    return {
        "rule": rule,
        "kind": kind,
        "idempotency_key": key,
        "articles": [{
            "url": item.get("url"), "title": item.get("title"), "source": item.get("source"),
            "lang": item.get("lang"), "published_at": item.get("published_at"), "snippet": item.get("snippet"),
            "matched_terms": list(item.get("matched_terms") or []), "story_id": item.get("story_id"),
        } for item in items],
        "text": slack_text(rule, kind, items, per),
    }


def html_body(rule: str, kind: str, items: list[dict[str, Any]], per: str = "article", key: str = "") -> str:
    e = html.escape
    shown = groups(items, per)
    out = ['<!DOCTYPE html>', '<html><head><meta charset="utf-8"></head><body>',
           f'<h2>newsmon {"digest" if kind == "digest" else "alert"} · {e(rule)} · {e(_noun(kind, len(shown), per))}</h2>',
           "<ol>"]
    for group in shown:
        first = group[0]
        title = e(clean(first.get("title")) or "(no title)")
        link = safe_url(first.get("url"))
        head = f'<a href="{e(link)}" dir="auto">{title}</a>' if link else f'<span dir="auto">{title}</span>'
        out.append(f"<li><p><strong>{head}</strong></p>")
        out.append("<ul>")
        for item in group:
            meta = " · ".join(e(clean(x)) for x in (item.get("lang"), item.get("published_at")) if x)
            href = safe_url(item.get("url"))
            source = e(clean(item.get("source")))
            shown_source = f'<a href="{e(href)}">{source}</a>' if href else source
            out.append(f"<li>{shown_source}{' · ' + meta if meta else ''}</li>")
        out.append("</ul>")
        if first.get("matched_terms"):
            terms = ", ".join(f'<bdi>{e(clean(t))}</bdi>' for t in first["matched_terms"])
            out.append(f"<p>matched: {terms}</p>")
        if first.get("snippet"):
            out.append(f'<p dir="auto">{e(clean(first["snippet"]))}</p>')
        out.append("</li>")
    out.append("</ol>")
    if key:
        out.append(f'<p style="color:#888">ref {e(key)}</p>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def message_id(key: str, channel: str, sender: str) -> str:
    """Stable per (alert, channel): a resend after a crash carries the same Message-ID."""
    domain = sender.rpartition("@")[2] or "newsmon.invalid"
    channel_hash = channel.rpartition(":")[2]
    return f"<{key[:24]}.{channel_hash}@{domain}>"  # short enough never to be folded


def email_message(rule: str, kind: str, items: list[dict[str, Any]], key: str, *, sender: str, to: list[str],
                  channel: str, date: datetime, per: str = "article") -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject(rule, kind, items, per)
    msg["From"] = formataddr(("newsmon", sender))
    msg["To"] = ", ".join(to)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id(key, channel, sender)
    msg["X-Newsmon-Rule"] = rule
    msg["X-Newsmon-Idempotency-Key"] = key
    msg.set_content(plain_text(rule, kind, items, per, key))
    msg.add_alternative(html_body(rule, kind, items, per, key), subtype="html")
    msg.set_boundary(f"=_newsmon_{key}")  # not random: the same alert renders to the same bytes
    return msg
