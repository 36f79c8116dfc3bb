"""News-search aggregators (Google News RSS, Bing News RSS): from their redirect links to publishers.

Their feed items do not link to the article but to a redirect on the aggregator's host. The
publisher's URL is what must be fetched, stored and deduplicated, so it is recovered first:

* Bing: ``…/news/apiclick.aspx?ref=FexRss&…&url=<percent-encoded publisher URL>&…`` carries
  the target in its ``url`` parameter — read locally, no request;
* Google: ``news.google.com/rss/articles/<opaque id>?oc=5`` is resolved by fetching it without
  following redirects and reading ``Location``; when Google serves an HTML interstitial instead,
  :func:`interstitial_target` looks for the target in it (meta refresh, ``data-n-au``, a single
  outbound link), and an unresolvable link is counted, never fetched blindly.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urljoin, urlsplit

import lxml.html

GOOGLE_ARTICLE_PATH = re.compile(r"/rss/articles/[^/?#]+$")
AGGREGATOR_HOSTS = ("google.com", "bing.com", "gstatic.com")


def _http(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.hostname else None


def bing_target(url: str) -> str | None:
    """The publisher URL inside a Bing News ``apiclick.aspx`` link, else None."""
    parts = urlsplit(url)
    if not parts.path.lower().endswith("/apiclick.aspx"):
        return None
    values = parse_qs(parts.query).get("url")  # parse_qs percent-decodes once, as Bing encodes once
    return _http(values[0]) if values else None


def is_google_news_link(url: str) -> bool:
    """A Google News ``/rss/articles/<id>`` redirect link (by path, so a local imitation counts)."""
    return bool(GOOGLE_ARTICLE_PATH.search(urlsplit(url).path))


def _is_aggregator_link(url: str) -> bool:
    """On Google's or Bing's hosts, or itself a redirect link: never the publisher's page."""
    host = (urlsplit(url).hostname or "").lower()
    on_host = any(host == h or host.endswith("." + h) for h in AGGREGATOR_HOSTS)
    return on_host or is_google_news_link(url) or bing_target(url) is not None


def interstitial_target(html: str, page_url: str) -> str | None:
    """The publisher URL an aggregator's "you are being redirected" page points to, if any."""
    try:
        doc = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return None
    for meta in doc.xpath("//meta[translate(@http-equiv, 'REFSH', 'refsh')='refresh'][@content]"):
        match = re.search(r"url\s*=\s*['\"]?([^'\";]+)", meta.get("content"), re.I)
        target = _http(urljoin(page_url, match.group(1).strip())) if match else None
        if target and not _is_aggregator_link(target):
            return target
    for el in doc.xpath("//*[@data-n-au]"):
        target = _http(urljoin(page_url, el.get("data-n-au")))
        if target and not _is_aggregator_link(target):
            return target
    own = urlsplit(page_url).hostname
    outbound = {u for u in (_http(urljoin(page_url, a.get("href") or "")) for a in doc.iter("a"))
                if u and not _is_aggregator_link(u) and urlsplit(u).hostname != own}
    return outbound.pop() if len(outbound) == 1 else None  # one link off the aggregator: the article
