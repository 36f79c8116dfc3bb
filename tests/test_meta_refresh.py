"""A meta-refresh page still redirects; a page without one is passed on without being decoded."""

from __future__ import annotations

from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.middlewares import MetaRefresh

REFRESH = '<html><head><META HTTP-EQUIV="Refresh" CONTENT="0; url=/news/1.html"></head><body>…</body></html>'
PLAIN = "<html><head><title>Le Maroc et le Kazakhstan</title></head><body>" + "<p>Texte.</p>" * 2000 + "</body></html>"


def middleware() -> MetaRefresh:
    return MetaRefresh.from_crawler(get_crawler())


def page(html: str, encoding: str = "utf-8") -> tuple[Request, HtmlResponse]:
    request = Request("https://a.ma/go")
    return request, HtmlResponse("https://a.ma/go", body=html.encode(encoding), encoding=encoding, request=request)


def test_a_meta_refresh_redirects_in_any_encoding() -> None:
    for encoding in ("utf-8", "cp1256", "utf-16"):  # utf-16 writes no ASCII byte for byte
        request, response = page(REFRESH, encoding)
        out = middleware().process_response(request, response)
        assert isinstance(out, Request) and out.url.startswith("https://a.ma/news/1.html"), encoding


def test_a_page_without_refresh_is_not_decoded() -> None:
    request, response = page(PLAIN)
    assert middleware().process_response(request, response) is response
    assert response._cached_ubody is None  # Scrapy's check would have decoded the whole page
    request, response = page(PLAIN.replace("Texte.", "refresh"))  # the word alone: Scrapy decides
    assert middleware().process_response(request, response) is response
