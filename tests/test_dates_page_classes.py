"""Page-date failure classes seen on real pages (issue 12), each on small pages written here.

One test per class: the URL's minted day against a CMS "published" that follows edits, dates
in teaser cards, a site logo that is an ``<h1>``, an instant written in UTC beside a byline in
local time, relative bylines against absolute evidence, htmldate's bare-year guesses, and a bare
year in a citation's ``datePublished``.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pipelines.dates import page_dates, parse_date

FETCHED = datetime(2025, 6, 1, 10, 0, tzinfo=timezone.utc)
BODY = ("<div class='story-text'><p>The port authority confirmed on Tuesday that the new grain terminal "
        "will take its first ships in the autumn, after two years of dredging and a long dispute "
        "over the access road.</p><p>Farmers' unions welcomed the news, saying the queue of lorries "
        "on the coast road had cost them a week of deliveries every harvest.</p></div>")


def page(body: str, head: str = "<title>Grain terminal to open in autumn</title>") -> str:
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"


def ld(published: str, modified: str | None = None) -> str:
    extra = f', "dateModified": "{modified}"' if modified else ""
    return ('<script type="application/ld+json">{"@type": "NewsArticle", '
            f'"headline": "Grain terminal to open in autumn", "datePublished": "{published}"{extra}}}</script>')


def dated(html: str, url: str = "https://harbour.example/news/grain-terminal", lang: str | None = "en"):
    return page_dates(html, url, lang, "UTC", FETCHED)


# -- a CMS "published" that follows edits: the URL was minted on the first day ---------------------
def test_the_day_in_the_url_beats_a_later_published_date():
    html = page(f"<h1>Grain terminal to open in autumn</h1>"
                f"<p class='byline'>Updated 28 May 2025 | 06:00</p>{BODY}",
                "<title>Grain terminal</title>" + ld("2025-05-28T06:00:00-05:00")
                + '<meta property="og:pubdate" content="x">'
                '<meta name="date" content="2025-05-28T06:00:00-05:00">'
                '<meta itemprop="dateCreated" content="2025-05-22T18:12:00-05:00">')
    result = dated(html, "https://harbour.example/2025/05/22/grain-terminal-to-open/")
    assert (result.published.iso(), result.source) == ("2025-05-22", "url")


def test_a_time_written_on_the_urls_day_makes_it_precise():
    html = page(f"<h1>Grain terminal to open in autumn</h1>"
                "<time class='first' datetime='2025-05-22T18:12:00+01:00'>22 May</time>"
                f"{BODY}", ld("2025-05-23T17:40:00+01:00"))
    result = dated(html, "https://harbour.example/news/2025/05/22/grain-terminal.html")
    assert (result.published.iso_local(), result.source) == ("2025-05-22T18:12:00+01:00", "time")


def test_an_instant_the_urls_day_allows_in_some_zone_is_kept():
    # 02:18 UTC on the 23rd is the evening of the 22nd in the Americas: no contradiction.
    html = page(f"<h1>Grain terminal to open in autumn</h1>{BODY}", ld("2025-05-23T02:18:11Z"))
    result = dated(html, "https://harbour.example/2025/05/22/grain-terminal/")
    assert (result.published.iso(), result.source) == ("2025-05-23T02:18:11Z", "jsonld")


def test_a_date_in_a_slug_does_not_bound_the_publication():
    html = page(f"<h1>Grain terminal to open in autumn</h1>{BODY}", ld("2025-05-28T09:00:00Z"))
    result = dated(html, "https://harbour.example/news/harvest-report-2025-05-20-figures")
    assert result.published.iso() == "2025-05-28T09:00:00Z"


# -- teaser cards: a date beside a link to another story ------------------------------------------
def test_dates_in_teaser_cards_are_not_the_articles():
    card = ("<div class='new-raleted-item'><div class='caption'>"
            "<a class='title' href='https://harbour.example/news/old-quay-closes-for-repairs'>"
            "Old quay closes for repairs after the storm</a>"
            "<div class='article-date-time'><span>09.08.2024 u 10:52</span></div></div></div>")
    html = page(f"<div class='wrap'>{card}{card}</div>"
                "<div class='story'><h1>Grain terminal to open in autumn</h1>"
                "<div class='meta'><span class='author'>By <a href='/author/ann'>Ann Lee</a></span>"
                f"<span class='date'>26.05.2025 u 14:05</span></div>{BODY}</div>")
    assert dated(html, lang="bs").published.iso() == "2025-05-26T14:05:00Z"


def test_an_author_link_beside_the_byline_is_not_a_card():
    html = page("<article><h1>Grain terminal to open in autumn</h1><div class='entry'>"
                "<div class='info'><span class='by'>By <a href='/author/ann-lee'>Ann Lee</a></span>"
                f"<span class='date'>26 May 2025, 14:05</span></div>{BODY}</div></article>")
    assert dated(html).published.iso() == "2025-05-26T14:05:00Z"


# -- the headline is the h1 that matches the title, not the site's logo ---------------------------
def test_a_site_logo_h1_does_not_make_the_site_header_the_articles():
    html = page("<header class='top'><h1 class='logo'>Harbour Post</h1>"
                "<span class='date'>Sunday 1 June 2025</span></header>"
                "<div class='header-wrapper'><h1>Grain terminal to open in autumn</h1>"
                f"<div class='post-date'>21 May 2025</div></div>{BODY}",
                "<title>Grain terminal to open in autumn | Harbour Post</title>")
    result = dated(html)
    assert (result.published.iso(), result.source) == ("2025-05-21", "byline")


# -- an instant written in UTC beside a byline in local time ---------------------------------------
def test_a_utc_instant_takes_the_offset_its_byline_clock_shows():
    html = page("<h1>Grain terminal to open in autumn</h1><div class='article-meta'>"
                f"<span class='article-meta-date'>May 13, 2025 at 4:38 PM</span></div>{BODY}",
                ld("20250513T23:38:07Z"))
    result = dated(html)
    assert result.published.iso() == "2025-05-13T23:38:07Z"  # the instant never changes
    assert result.published.iso_local() == "2025-05-13T16:38:07-07:00"


def test_a_byline_clock_showing_another_moment_leaves_utc():
    html = page("<h1>Grain terminal to open in autumn</h1><div class='article-meta'>"
                f"<span class='article-meta-date'>May 13, 2025 at 9:12 AM</span></div>{BODY}",
                ld("2025-05-13T23:38:07Z"))
    assert dated(html).published.iso_local() == "2025-05-13T23:38:07Z"


def test_a_utc_instant_takes_the_offset_a_script_writes_its_local_clock_in():
    # The CMS's data layer writes the wall clock; the byline shows only the local day.
    html = page("<h1>Grain terminal to open in autumn</h1>"
                f"<div class='article-meta'><span class='date'>13 May 2025</span></div>{BODY}"
                "<script>var pageInfo = {}; pageInfo.article.publication_date = '2025-05-13 21:08:44';</script>",
                ld("2025-05-14T02:08:44Z"))
    result = dated(html)
    assert result.published.iso() == "2025-05-14T02:08:44Z"
    assert result.published.iso_local() == "2025-05-13T21:08:44-05:00"


@pytest.mark.parametrize("published,head,local", [
    # a meta repeats the JSON-LD's instant with the page's offset (India, a half-hour zone)
    ("2025-05-13T19:38:00Z", "<meta property='article:published_time' content='2025-05-14T01:08:00+05:30'>",
     "2025-05-14T01:08:00+05:30"),
    # a data layer in JSON, its clock without seconds, an hour ahead of UTC
    ("2025-05-13T23:38:00Z", "<script>dataLayer.push({\"publishDate\": \"2025-05-14 00:38\"});</script>",
     "2025-05-14T00:38:00+01:00"),
])
def test_another_publication_value_gives_the_offset(published, head, local):
    result = dated(page(f"<h1>Grain terminal to open in autumn</h1>{BODY}", ld(published) + head))
    assert (result.published.iso(), result.published.iso_local()) == (published, local)


@pytest.mark.parametrize("script", [
    "var publication_date = '2025-05-13 18:50:00';",  # another moment (not a whole quarter hour away)
    "var publication_date = '2025-05-13 21:08:44';",  # the same moment, but on a day the byline denies
    "var pubDate = '2025-05-14 02:08:44';",  # UTC itself: nothing to learn
])
def test_a_script_clock_that_does_not_fit_leaves_utc(script):
    html = page("<h1>Grain terminal to open in autumn</h1>"
                f"<div class='article-meta'><span class='date'>14 May 2025</span></div>{BODY}<script>{script}</script>",
                ld("2025-05-14T02:08:44Z"))
    assert dated(html).published.iso_local() == "2025-05-14T02:08:44Z"


# -- a wiki page shown at one revision: dated by that revision ---------------------------------------
WIKI_LD = ('<script type="application/ld+json">{"@context": "https://schema.org", "@type": "Article", '
           '"headline": "Harbour of Tanja", "datePublished": "2009-11-02T10:12:40Z", '
           '"dateModified": "2025-05-28T08:00:00Z"}</script>')


def test_a_wiki_diff_is_dated_by_its_newer_revision():
    html = page("<h1 id='firstHeading'>Harbour of Tanja</h1><table class='diff'><tr>"
                "<td class='diff-otitle'><div id='mw-diff-otitle1'><strong><a href='/w/index.php?oldid=7710'>"
                "Revision as of 09:02, 3 March 2025</a></strong></div></td>"
                "<td class='diff-ntitle'><div id='mw-diff-ntitle1'><strong><a href='/w/index.php?oldid=7795'>"
                "Latest revision as of 17:45, 12 May 2025</a> (edit) (undo)</strong></div></td></tr></table>"
                f"<div id='mw-content-text'>{BODY}</div>"
                "<ul id='footer-info'><li id='footer-info-lastmod'>This page was last edited on 28 May 2025, at 08:00.</li></ul>",
                WIKI_LD)
    result = dated(html, "https://wiki.harbour.example/index.php?title=Harbour_of_Tanja&diff=7795&oldid=7710")
    assert (result.published.iso(), result.source) == ("2025-05-12T17:45:00Z", "revision")
    # The same page at its plain address is the article: its JSON-LD creation date stands.
    assert dated(html, "https://wiki.harbour.example/wiki/Harbour_of_Tanja").published.iso() == "2009-11-02T10:12:40Z"


def test_an_old_revision_is_dated_by_its_revision_line():
    html = page("<h1 id='firstHeading'>Port de Tanger</h1><div id='contentSub'><div id='mw-revision-info'>"
                "Version du 4 avril 2025 à 21:10 par <a href='/wiki/Utilisateur:Nadia'>Nadia</a></div></div>"
                f"<div id='mw-content-text'>{BODY}</div>", WIKI_LD)
    result = page_dates(html, "https://fr.wiki.harbour.example/w/index.php?title=Port_de_Tanger&oldid=5521",
                        "fr", "Europe/Paris", FETCHED)
    assert (result.published.iso_local(), result.source) == ("2025-04-04T21:10:00+02:00", "revision")


@pytest.mark.parametrize("lang,heading,local", [
    # MediaWiki writes the heading in the wiki's language and digits (Bengali, Hindi, Persian)
    ("bn", "১৭:৪৫, ১২ মে ২০২৫ তারিখে সংশোধিত সংস্করণ", "2025-05-12T17:45:00Z"),
    ("hi", "12 मई 2025 को 17:45 बजे का अवतरण", "2025-05-12T17:45:00Z"),
    ("fa", "نسخهٔ ‏۱۲ مهٔ ۲۰۲۵، ساعت ۱۷:۴۵", "2025-05-12T17:45:00Z"),
])
def test_a_wiki_revision_heading_in_a_language_the_lexicon_does_not_know(lang, heading, local):
    html = (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'><title>Tanja</title>{WIKI_LD}</head>"
            f"<body><h1 id='firstHeading'>Tanja</h1><div id='mw-diff-ntitle1'><strong><a href='?oldid=7795'>{heading}"
            f"</a></strong></div><div id='mw-content-text'>{BODY}</div></body></html>")
    result = page_dates(html, "https://wiki.harbour.example/w/index.php?title=Tanja&diff=7795&oldid=7710",
                        None, "UTC", FETCHED)
    assert (result.published.iso_local(), result.source) == (local, "revision")


# -- relative bylines: read against the fetch clock, after absolute evidence ------------------------
def test_a_relative_byline_dates_a_page_with_nothing_else():
    html = page(f"<h1>Grain terminal to open in autumn</h1><p class='byline'>2 hours ago</p>{BODY}")
    result = dated(html)
    assert (result.published.iso(), result.source) == ("2025-06-01T08:00:00Z", "byline")


def test_absolute_evidence_beats_a_relative_byline():
    # A cached or archived page keeps saying "2 hours ago" long after it was rendered.
    html = page(f"<h1>Grain terminal to open in autumn</h1><p class='byline'>2 hours ago</p>{BODY}")
    result = dated(html, "https://harbour.example/2025/05/20/grain-terminal/")
    assert (result.published.iso(), result.source) == ("2025-05-20", "url")


# -- bare years ------------------------------------------------------------------------------------
def test_a_bare_year_is_no_day():
    assert parse_date("2015", "en", "UTC", FETCHED) is None
    assert parse_date("(2015)", None, "UTC", FETCHED) is None
    cited = page(f"<h1>Grain terminal to open in autumn</h1>{BODY}",
                 "<title>Grain terminal</title><meta itemprop='datePublished' content='2016'>")
    assert dated(cited).published is None


def test_htmldates_guess_from_a_bare_year_is_no_day():
    # htmldate's extensive search turns "the 2019 harvest" or "(c) 2019" into 2019-01-01.
    html = page(f"<h1>Grain terminal to open in autumn</h1>{BODY}"
                "<p>The 2019 harvest was the largest the coast has seen.</p>")
    assert dated(html).published is None


def test_a_real_new_years_day_is_kept():
    html = page(f"<h1>Grain terminal to open in autumn</h1>{BODY}<p>Filed on 2025-01-01.</p>")
    result = dated(html)
    assert (result.published.iso(), result.source) == ("2025-01-01", "htmldate")


# -- relative bylines in more languages (read, then ranked after absolute evidence) -----------------
@pytest.mark.parametrize(("lang", "text", "want"), [
    ("bs", "prije 26 minuta", "2025-06-01T09:34:00Z"),
    ("sr", "pre 3 dana", "2025-05-29"),
    ("pt", "há 2 horas", "2025-06-01T08:00:00Z"),
    ("pt", "ontem às 10h30", "2025-05-31T10:30:00Z"),
    ("de", "vor einer Stunde", "2025-06-01T09:00:00Z"),
    ("de", "gestern, 18:05", "2025-05-31T18:05:00Z"),
])
def test_relative_bylines_in_more_languages(lang, text, want):
    parsed = parse_date(text, lang, "UTC", FETCHED)
    assert (parsed.iso(), parsed.relative) == (want, True)
    assert parse_date("Deutschland heute", "de", "UTC", FETCHED) is None  # a masthead, not a day


# -- a page-wide wrapper whose tag or class names a zone to skip --------------------------------------
@pytest.mark.parametrize(("open_tag", "close_tag"), [
    ("<form id='aspnetForm' method='post'>", "</form>"),  # ASP.NET WebForms wrap the whole page
    ("<div class='page-with-sidebar'>", "</div>"),
])
def test_a_wrapper_holding_the_headline_is_not_a_zone_to_skip(open_tag, close_tag):
    html = page(f"{open_tag}<nav><span class='date'>Sunday 1 June 2025</span></nav>"
                "<article class='author-article'><p class='date'>15 May 2025, 13:43</p>"
                f"<h1>Grain terminal to open in autumn</h1>{BODY}</article>{close_tag}")
    result = dated(html)
    assert (result.published.iso(), result.source) == ("2025-05-15T13:43:00Z", "byline")
