"""High 3 and Medium 5 through a real crawl: short real articles that carry a cookie banner, a
reCAPTCHA in the comment form, "404" or "Just a moment" in the headline, or a sign-in overlay
over their full text are STORED; a bot challenge (in an HTTP 200 page, or answered as 403/503
with the challenge's header or a tiny challenge page), an HTTP 200 soft 404 and an in-page login
wall (a teaser and a sign-in form, no article) are quarantined by reason, listed by `newsmon
runs --dropped`, and fetched again by the next crawl. Pages written for this test."""

from __future__ import annotations

import json
from collections import Counter
from html import escape
from pathlib import Path

from tests.conftest import run_newsmon
from tests.hostile.measure import crawl
from tests.hostile.pages import NOW, rss
from tests.hostile.server import Reply, serving

FACTS = {
    "migrants": ("404 migrants rescued off Tarfaya",
                 "The navy said on Sunday that its patrol boats had rescued 404 migrants from eleven inflatable "
                 "boats off Tarfaya overnight, among them 37 women and 12 children.",
                 "All were brought ashore at the port and given food and first aid. Two people were taken to "
                 "hospital in Laayoune with hypothermia, the statement said."),
    "portal": ("Error 404: the export portal goes dark on launch day",
               "The trade ministry's new export portal, meant to help grain traders file papers for Kazakh "
               "buyers, showed visitors nothing but an error page for most of Monday.",
               "A spokesman blamed a configuration mistake and said the portal worked again by the evening; "
               "exporters said they lost a whole day of filings."),
    "moment": ("Just a moment: Casablanca's new quay waits for its cranes",
               "The new grain quay at Casablanca is finished but its two cranes are still at sea, the port "
               "authority said, so the first Kazakh cargo will be unloaded at the old berth.",
               "The cranes left the builder's yard three weeks late and are due in early April, when the "
               "quay will open to bulk carriers."),
    "cookies": ("Astana fair opens with a Moroccan pavilion",
                "A Moroccan pavilion opened on Wednesday at the trade fair in Astana, with forty exhibitors "
                "from the food, textile and phosphate industries.",
                "Organisers expect thirty thousand visitors over the four days of the fair, twice as many as "
                "last year, and a business forum on Friday."),
    "captcha": ("Kazakh students arrive in Rabat",
                "Sixty Kazakh students arrived in Rabat on Saturday for a year of study at the university, "
                "under the exchange signed by the two ministries last spring.",
                "Twenty of them will study Arabic and the others engineering and agronomy; a second group is "
                "expected in the autumn, the embassy said."),
}
OVERLAY_FACTS = ("Rabat and Astana sign a three-year grain deal",
                 "Morocco and Kazakhstan signed a three-year agreement on Monday under which Kazakh wheat will "
                 "be shipped to Casablanca through the Black Sea, the agriculture ministry said in Rabat.",
                 "The first cargo of sixty thousand tonnes is expected in March. Officials said the deal would "
                 "help Morocco cope with a fourth year of drought that has cut its own harvest by half.",
                 "Kazakh exporters have looked for new buyers in North Africa since last year, when prices in "
                 "their usual markets fell, and a second deal on fertiliser is being discussed.")
WALL_FACTS = ("Phosphate talks resume in Astana",
              "Moroccan and Kazakh negotiators resumed talks in Astana on Thursday on a joint fertiliser "
              "plant near the Caspian coast, after a pause of six months.",
              "The plant would process Moroccan phosphate rock with Kazakh sulphur and gas; its cost is put at "
              "four hundred million dollars, shared equally between the two state companies.",
              "A decision on the site is expected before the summer, the Kazakh ministry of industry said, "
              "once the environmental study has been published and discussed.")

SIGN_IN_BOX = """<div class="modal paywall-overlay" role="dialog"><h2>Sign in to continue reading</h2>
<p>Create a free account or sign in to keep reading.</p><form action="/login" method="post">
<input name="email" type="email"><input name="password" type="password"><button>Sign in</button></form></div>"""


def short_article(title: str, *paragraphs: str, before: str = "", after: str = "") -> bytes:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)} - Coast News</title>
<meta property="article:published_time" content="{NOW.isoformat()}"></head><body>{before}
<header><nav><a href="/">Home</a> <a href="/world/">World</a></nav></header>
<article><h1>{escape(title)}</h1>{body}{after}</article><footer><p>Coast News</p></footer></body></html>""").encode()


PAGES: dict[str, bytes] = {
    "migrants": short_article(*FACTS["migrants"]),
    "portal": short_article(*FACTS["portal"]),
    "moment": short_article(*FACTS["moment"]),
    "cookies": short_article(*FACTS["cookies"], before=(
        '<div id="cookie-banner" class="cookie-consent">We value your privacy. We and our partners use cookies '
        'to personalise content. <button>Accept all</button> <button>Reject all</button></div>')),
    "captcha": short_article(*FACTS["captcha"], after=(
        '<form id="commentform" action="/comment" method="post"><textarea name="comment"></textarea>'
        '<div class="g-recaptcha" data-sitekey="6Lc-not-a-key"></div><button>Post</button></form>')),
    "overlay": short_article(*OVERLAY_FACTS, after=SIGN_IN_BOX),
    # not articles
    "challenge": b"""<!doctype html><html><head><title>Just a moment...</title></head><body>
<div id="challenge-form">Checking your browser before accessing coast.example.</div>
<noscript>Enable JavaScript and cookies to continue</noscript></body></html>""",
    "soft404": b"""<!doctype html><html lang="en"><head><title>Page not found - Coast News</title></head><body>
<header><nav><a href="/">Home</a></nav></header><main><h1>Oops! That page can't be found.</h1>
<p>It looks like nothing was found at this location. Maybe try a search?</p>
<form action="/"><input name="s"></form></main></body></html>""",
    # the title is the site's name, the heading says 404, the apology is long enough to pass as a brief
    "gone": b"""<!doctype html><html lang="en"><head><title>Coast News</title></head><body><main><h1>Error 404</h1>
<p>Sorry, the page you are looking for does not exist, has been moved or was removed by its author. Please check the
address you typed, or go back to the home page and try the search box at the top of every page.</p></main></body></html>""",
    "wall": short_article(WALL_FACTS[0], WALL_FACTS[1], after="""<div class="paywall">
<h2>Sign in to continue reading</h2><p>This article is reserved for subscribers. Sign in or subscribe to read the
rest of this story and every article on our site, with the newsletter and the archive.</p>
<form action="/login" method="post"><input name="email" type="email"><input name="password" type="password">
<button>Sign in</button></form></div>"""),
}
# Bot checks answered on the response itself: 403 with Cloudflare's header, a tiny 503 page.
CF_BODY = b"""<!doctype html><html><head><title>Attention Required!</title></head><body>
<div class="cf-browser-verification">Please stand by, while we are checking your browser...</div></body></html>"""
HTTP_CHALLENGES = {"cf403": Reply(CF_BODY, status=403, headers={"cf-mitigated": "challenge"}),
                   "cf503": Reply(b"<html><body>DDoS protection: checking your browser</body></html>", status=503)}

# the host's pacing of 403s (crawler/backoff.py) would retry them after 10 s: given up at once here
NO_BACKOFF = ("--keep-all", "-s", "NEWSMON_BACKOFF_MAX_RETRIES=0")
STORED = ("migrants", "portal", "moment", "cookies", "captcha", "overlay")
QUARANTINED = {"challenge": "not_an_article_challenge", "soft404": "not_an_article_not_found", "wall": "login_wall",
               "gone": "not_an_article_not_found",
               "cf403": "not_an_article_challenge", "cf503": "not_an_article_challenge"}


def test_short_real_articles_are_stored_and_walls_challenges_and_soft_404s_quarantined(tmp_path: Path) -> None:
    state = {"wall": True}

    def route(path: str, query: dict[str, str]) -> Reply:
        if path == "/feed.xml":
            return Reply(rss((f"/news/{name}.html", name, NOW) for name in [*PAGES, *HTTP_CHALLENGES]),
                         content_type="application/rss+xml")
        name = path.removeprefix("/news/").removesuffix(".html")
        if name == "wall" and not state["wall"]:  # the subscriber's view: the whole article
            return Reply(short_article(*WALL_FACTS))
        if name in HTTP_CHALLENGES:
            return HTTP_CHALLENGES[name]
        if name in PAGES:
            return Reply(PAGES[name])  # HTTP 200 for every one, the soft 404 included
        return Reply(b"not found", status=404)

    data = str(tmp_path / "data")
    with serving(route) as site:
        source = [{"name": "coast", "language": "en", "feeds": [site.url + "/feed.xml"]}]
        first = crawl(source, tmp_path, *NO_BACKOFF)
        assert first.code == 0, first.stderr
        row = first.summary()["coast"]
        titles = {json.loads(l)["title"] for l in run_newsmon("export", "--data", data).stdout.splitlines()}
        expected = {FACTS[n][0] for n in STORED if n != "overlay"} | {OVERLAY_FACTS[0]}
        assert titles == expected, (titles ^ expected, row["reasons"])
        assert row["new"] == len(STORED) and row["quarantined"] == len(QUARANTINED)
        for reason, count in Counter(QUARANTINED.values()).items():
            assert row["reasons"][f"dropped/{reason}"] == count, row["reasons"]
        assert not [k for k in row["reasons"] if k.startswith("error/")], row["reasons"]  # not errors: drops
        assert f"{len(QUARANTINED)} page(s) dropped as not articles were quarantined" in first.stderr

        listed = json.loads(run_newsmon("runs", "--dropped", "--json", "--data", data).stdout)
        assert {p["url"]: p["reason"] for p in listed} == {f"{site.url}/news/{n}.html": r for n, r in QUARANTINED.items()}
        assert {p["attempts"] for p in listed} == {1}

        # the overlay's sign-in box is not part of the stored text; the article's paragraphs are
        overlay = next(json.loads(l) for l in run_newsmon("export", "--data", data).stdout.splitlines()
                       if json.loads(l)["title"] == OVERLAY_FACTS[0])
        assert all(p in overlay["text"] for p in OVERLAY_FACTS[1:]) and "Sign in" not in overlay["text"]

        # the next crawl fetches the quarantined pages again: the wall is gone, the others remain
        state["wall"] = False
        before = site.count("/news/wall.html")
        second = crawl(source, tmp_path, *NO_BACKOFF)
        assert second.code == 0, second.stderr
        assert site.count("/news/wall.html") == before + 1
    listed = json.loads(run_newsmon("runs", "--dropped", "--json", "--data", data).stdout)
    assert {p["url"].rsplit("/", 1)[1]: p["attempts"] for p in listed} == {
        "challenge.html": 2, "soft404.html": 2, "gone.html": 2, "cf403.html": 2, "cf503.html": 2}
    wall = [json.loads(l) for l in run_newsmon("export", "--data", data).stdout.splitlines()
            if json.loads(l)["url"].endswith("/news/wall.html")]
    assert len(wall) == 1 and WALL_FACTS[3] in wall[0]["text"]


def test_a_site_header_offering_sign_in_does_not_make_a_short_article_a_wall() -> None:
    """The same classifier, in process: the wall is what the page says of the article ("sign in
    to continue reading"), never a header's "Already a subscriber? Log in" or a "Continue
    reading" link under a short brief."""
    from pipelines.extract import extract

    header = ('<header><a href="/login">Already a subscriber? Log in</a> <a href="/subscribe">Subscribe</a>'
              '<form action="/login"><input type="password" name="p"></form></header>')
    brief = short_article(*FACTS["cookies"], before=header, after='<a href="/news/more">Continue reading</a>')
    assert extract(brief.decode(), "https://coast.example/news/brief.html").page_kind == "article"
    assert extract(PAGES["wall"].decode(), "https://coast.example/news/wall.html").page_kind == "login-wall"
    assert extract(PAGES["overlay"].decode(), "https://coast.example/news/overlay.html").page_kind == "article"
