"""Alert rendering is pure: whole messages compared exactly, hostile crawled strings included."""

from __future__ import annotations

from datetime import datetime, timezone

from newsmon.alerts import render

ITEMS = [
    {"id": "a1", "url": "https://atlas.example/ar/1", "title": "شحنة القمح الكازاخي تصل إلى الدار البيضاء",
     "source": "atlas-ar", "lang": "ar", "published_at": "2026-11-20T06:00:00Z", "snippet": "وصلت شحنة القمح",
     "matched_terms": ["القمح"], "story_id": "s1"},
    {"id": "a2", "url": "https://steppe.example/en/2?a=1&b=<2>|x", "title": "Wheat <b>cargo</b> & \x1b[2Jmore\u202e",
     "source": "steppe-en", "lang": "en", "published_at": None, "snippet": "first <wheat> cargo",
     "matched_terms": ["wheat"], "story_id": "s2"},
    {"id": "a3", "url": "javascript:alert(1)", "title": "", "source": "evil", "lang": "en",
     "published_at": "2026-11-21", "snippet": "", "matched_terms": [], "story_id": "s2"},
]
AR_TITLE = "شحنة القمح الكازاخي تصل إلى الدار البيضاء"


def test_subject_carries_rule_and_count_and_isolates_the_title() -> None:
    assert render.subject("wheat", "alert", ITEMS) == f"[newsmon] wheat: 3 new articles — \u2068{AR_TITLE}\u2069"
    assert render.subject("wheat", "digest", ITEMS, "story") == f"[newsmon] wheat digest: 2 stories — \u2068{AR_TITLE}\u2069"
    assert render.subject("wheat", "alert", ITEMS[1:2]) == "[newsmon] wheat: 1 new article — \u2068Wheat <b>cargo</b> & [2Jmore\u2069"
    long = [{**ITEMS[0], "title": "x" * 200}]
    assert render.subject("r", "alert", long) == "[newsmon] r: 1 new article — \u2068" + "x" * 79 + "…\u2069"


def test_plain_text() -> None:
    assert render.plain_text("wheat", "alert", ITEMS, "article", "k1") == (
        "newsmon alert · wheat · 3 new articles\n"
        "\n"
        f"1. \u2068{AR_TITLE}\u2069\n"
        "   atlas-ar · ar · 2026-11-20T06:00:00Z\n"
        "   https://atlas.example/ar/1\n"
        "   matched: \u2068القمح\u2069\n"
        "   \u2068وصلت شحنة القمح\u2069\n"
        "\n"
        "2. \u2068Wheat <b>cargo</b> & [2Jmore\u2069\n"
        "   steppe-en · en\n"
        "   https://steppe.example/en/2?a=1&b=<2>|x\n"
        "   matched: \u2068wheat\u2069\n"
        "   \u2068first <wheat> cargo\u2069\n"
        "\n"
        "3. \u2068(no title)\u2069\n"
        "   evil · en · 2026-11-21\n"
        "   javascript:alert(1)\n"
        "\n"
        "ref k1\n"
    )


def test_slack_text_groups_stories_escapes_and_never_links_javascript() -> None:
    assert render.slack_text("wheat", "alert", ITEMS, "story") == (
        "*newsmon alert* · wheat · 2 new stories\n"
        f"• <https://atlas.example/ar/1|{AR_TITLE}> (<https://atlas.example/ar/1|atlas-ar> · 2026-11-20T06:00:00Z)\n"
        "• <https://steppe.example/en/2?a=1&b=%3C2%3E%7Cx|Wheat &lt;b&gt;cargo&lt;/b&gt; &amp; [2Jmore> "
        "(<https://steppe.example/en/2?a=1&b=%3C2%3E%7Cx|steppe-en>, evil)"
    )


def test_html_escapes_every_crawled_string() -> None:
    assert render.html_body("wheat", "alert", ITEMS[1:], "article", "k1") == (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n'
        "<h2>newsmon alert · wheat · 2 new articles</h2>\n<ol>\n"
        '<li><p><strong><a href="https://steppe.example/en/2?a=1&amp;b=&lt;2&gt;|x" dir="auto">'
        "Wheat &lt;b&gt;cargo&lt;/b&gt; &amp; [2Jmore</a></strong></p>\n"
        "<ul>\n"
        '<li><a href="https://steppe.example/en/2?a=1&amp;b=&lt;2&gt;|x">steppe-en</a> · en</li>\n'
        "</ul>\n"
        "<p>matched: <bdi>wheat</bdi></p>\n"
        '<p dir="auto">first &lt;wheat&gt; cargo</p>\n'
        "</li>\n"
        '<li><p><strong><span dir="auto">(no title)</span></strong></p>\n'
        "<ul>\n<li>evil · en · 2026-11-21</li>\n</ul>\n</li>\n</ol>\n"
        '<p style="color:#888">ref k1</p>\n</body></html>\n'
    )


def test_webhook_payload_fields() -> None:
    body = render.payload("wheat", "alert", ITEMS[:1], "key1")
    assert body == {
        "rule": "wheat", "kind": "alert", "idempotency_key": "key1",
        "articles": [{"url": "https://atlas.example/ar/1", "title": AR_TITLE, "source": "atlas-ar", "lang": "ar",
                      "published_at": "2026-11-20T06:00:00Z", "snippet": "وصلت شحنة القمح",
                      "matched_terms": ["القمح"], "story_id": "s1"}],
        "text": f"*newsmon alert* · wheat · 1 new article\n• <https://atlas.example/ar/1|{AR_TITLE}> "
                "(<https://atlas.example/ar/1|atlas-ar> · 2026-11-20T06:00:00Z)",
    }


def test_email_message_headers_are_stable() -> None:
    when = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
    msg = render.email_message("wheat", "alert", ITEMS[:1], "0123456789abcdef0123456789abcdef",
                               sender="alerts@newsmon.example", to=["desk@example.org"], channel="email:abc123def456",
                               date=when)
    assert msg["Message-ID"] == "<0123456789abcdef01234567.abc123def456@newsmon.example>"
    assert msg["Date"] == "Fri, 20 Nov 2026 08:00:00 +0000"
    assert msg["From"] == "newsmon <alerts@newsmon.example>" and msg["To"] == "desk@example.org"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    again = render.email_message("wheat", "alert", ITEMS[:1], "0123456789abcdef0123456789abcdef",
                                 sender="alerts@newsmon.example", to=["desk@example.org"],
                                 channel="email:abc123def456", date=when)
    assert again.as_bytes() == msg.as_bytes()
