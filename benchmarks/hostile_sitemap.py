"""Time and peak RSS of a real `newsmon crawl` of one gzipped sitemap of N URLs, for growing N.

Flat memory is the promise: the crawl keeps the NEWSMON_MAX_URLS_PER_DOCUMENT newest entries
(50 here, so the run fetches 50 articles whatever N is) and streams the rest. The site is the
hostile-test server (tests/hostile/server.py) on 127.0.0.1; peak RSS is the crawl process's own
VmHWM. Run from the repository root:

    .venv/bin/python benchmarks/hostile_sitemap.py [N ...]     (default: 1 100000 900000)
"""

from __future__ import annotations

import gzip
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.hostile.measure import crawl  # noqa: E402
from tests.hostile.pages import article  # noqa: E402
from tests.hostile.server import Reply, serving  # noqa: E402


def sitemap(n: int) -> bytes:
    body = "".join(f"<url><loc>/n/{i}</loc><lastmod>2025-01-{1 + i % 28:02d}</lastmod></url>" for i in range(n))
    return gzip.compress(f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'.encode(), 1)


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1, 100_000, 900_000]
    print(f"{'URLs':>9} {'gzip MB':>8} {'seconds':>8} {'peak RSS MB':>12} {'stored':>7}")
    for n in sizes:
        body = sitemap(n)

        def route(path: str, query: dict[str, str]) -> Reply:
            if path == "/sitemap.xml.gz":
                return Reply(body, content_type="application/x-gzip")
            if path.startswith("/n/"):
                return Reply(article(int(path.rsplit("/", 1)[1])))
            return Reply(b"", status=404)

        with tempfile.TemporaryDirectory() as tmp, serving(route) as site:
            out = crawl([{"name": "big", "language": "en", "sitemaps": [site.url + "/sitemap.xml.gz"]}], Path(tmp),
                        "-s", "NEWSMON_MAX_URLS_PER_DOCUMENT=50", "-s", "NEWSMON_MAX_SITEMAP_BYTES=200000000",
                        "--keep-all", deadline=600)
            stored = out.summary()["big"]["new"] if out.code == 0 else f"exit {out.code}"
        print(f"{n:>9} {len(body) / 1e6:>8.1f} {out.seconds:>8.1f} {out.peak_rss_mb:>12.0f} {stored:>7}")


if __name__ == "__main__":
    main()
