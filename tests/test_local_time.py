"""published_at keeps the page's own offset; published_utc holds the instant (issue 12)."""

from __future__ import annotations

import json
from pathlib import Path

from newsmon.commands.search import shown_time
from newsmon.sink import article_record
from newsmon.store import Store
from tests.conftest import run_newsmon


def _item(n: int, local: str, utc: str) -> dict:
    return {"id": f"a{n}", "url": f"https://harbour.example/{n}", "title": f"Story {n}", "text": "Body text.",
            "lang": "en", "source": "harbour", "published_at": local, "published_utc": utc,
            "fetched_at": "2025-06-01T00:00:00Z", "content_hash": f"h{n}", "relevant": True}


def test_store_export_and_since_use_both_fields(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        # 23:30 in New York on 31 May is 1 June in UTC; the since filter compares instants
        store.upsert_article(article_record(_item(1, "2025-05-31T23:30:00-04:00", "2025-06-01T03:30:00Z")), [])
        store.upsert_article(article_record(_item(2, "2025-05-31T08:00:00+02:00", "2025-05-31T06:00:00Z")), [])
        assert [a["id"] for a in store.iter_articles(since="2025-06-01")] == ["a1"]
    out = run_newsmon("export", "--data", str(tmp_path), "--since", "2025-06-01")
    assert out.code == 0, out.stderr
    (row,) = [json.loads(line) for line in out.stdout.splitlines()]
    assert (row["published_at"], row["published_utc"]) == ("2025-05-31T23:30:00-04:00", "2025-06-01T03:30:00Z")


def test_search_shows_the_local_time_and_utc():
    assert shown_time("2025-05-31T23:30:00-04:00", "2025-06-01T03:30:00Z") == "2025-05-31 23:30-04:00 (2025-06-01 03:30Z)"
    assert shown_time("2025-02-21T18:42:00+01:00", "2025-02-21T17:42:00Z") == "2025-02-21 18:42+01:00 (17:42Z)"
    assert shown_time("2025-02-21T17:42:00Z", "2025-02-21T17:42:00Z") == "2025-02-21 17:42Z"
    assert shown_time("2025-02-21", "2025-02-21") == "2025-02-21"
    assert shown_time(None, None) == "undated"
