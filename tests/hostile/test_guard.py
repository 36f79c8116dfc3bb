"""Medium 1: the private-address exemption covers a source's exact origins, for that source only."""

from __future__ import annotations

from pathlib import Path

from tests.hostile.measure import crawl
from tests.hostile.pages import NOW, article, rss
from tests.hostile.server import Reply, serving


def test_the_exemption_is_per_source_and_per_origin(tmp_path: Path) -> None:
    def internal(path: str, query: dict[str, str]) -> Reply:  # another service on the same host
        if path == "/feed.xml":
            return Reply(rss([("/news/5.html", "Story 5", NOW)]), content_type="application/rss+xml")
        if path.startswith("/news/"):
            return Reply(article(5))
        return Reply(b"admin secrets", content_type="text/plain")

    with serving(internal) as other:
        def outlet(path: str, query: dict[str, str]) -> Reply:
            if path == "/feed.xml":  # links to its own article, and to the other port's pages
                return Reply(rss([("/news/1.html", "Story 1", NOW), (f"{other.url}/admin/1", "Admin", NOW),
                                  (f"{other.url}/admin/2", "Admin 2", NOW),
                                  ("/news/meta.html", "Metadata", NOW)]),
                             content_type="application/rss+xml")
            if path == "/news/meta.html":  # a cloud metadata address that older guards let through (Low)
                return Reply(status=302, headers={"Location": "http://192.0.0.192/latest/meta-data/"})
            if path.startswith("/news/"):
                return Reply(article(1))
            return Reply(b"not found", status=404)

        with serving(outlet) as site:
            out = crawl([{"name": "outlet", "language": "en", "feeds": [site.url + "/feed.xml"]},
                         {"name": "internal", "language": "en", "feeds": [other.url + "/feed.xml"]}],
                        tmp_path, "--keep-all")
        admin_hits = other.count("/admin/")
        internal_article_fetches = other.count("/news/")
    assert out.code == 0, out.stderr
    assert admin_hits == 0  # same host, another port: not the outlet's origin
    assert internal_article_fetches == 1  # for the source whose origin it is
    summary = out.summary()
    assert summary["outlet"]["reasons"]["error/private_address"] == 3, summary["outlet"]["reasons"]  # two on the other port, 192.0.0.192
    assert summary["outlet"]["new"] == 1 and summary["internal"]["new"] == 1


def test_protocol_assignment_and_metadata_addresses_are_not_public() -> None:
    import pytest

    from crawler.middlewares import is_public
    from crawler.resolver import GuardedResolver, PrivateAddressRefused

    for address in ("192.0.0.192", "192.0.0.9", "192.88.99.1", "::ffff:192.0.0.192", "100.100.100.200"):
        assert not is_public(address), address
        with pytest.raises(PrivateAddressRefused):
            GuardedResolver._check(address, "metadata.example")
    assert is_public("192.0.1.1") and is_public("93.184.216.34")


def test_extract_and_topics_test_refuse_a_redirect_to_a_private_address(tmp_path: Path) -> None:
    from tests.conftest import run_newsmon

    with serving(lambda path, query: Reply(b"admin secrets", content_type="text/plain")) as internal:
        target = internal.url.replace("127.0.0.1", "127.0.0.2")  # another loopback address, not the one asked for

        def redirector(path: str, query: dict[str, str]) -> Reply:
            return Reply(status=302, headers={"Location": f"{target}/admin"})

        with serving(redirector) as site:
            extracted = run_newsmon("extract", site.url + "/story")
            tested = run_newsmon("topics", "test", site.url + "/story")
        secret_hits = internal.count("/admin")
    assert secret_hits == 0
    for out in (extracted, tested):
        assert out.code != 0 and "Traceback" not in out.stderr
        assert "redirect to a private address refused" in out.stderr, out.stderr
