"""Store stage: upsert the article into SQLite (the store of record) with its outbox event."""

from __future__ import annotations

from pathlib import Path

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from pipelines.items import Article
from newsmon.store import ARTICLE_COLUMNS, Store, StoreError, iso_utc


def article_record(item: Article) -> dict:
    """The stored form of an item: every column, dates as ISO strings, no raw HTML."""
    record = {col: item.get(col) for col in ARTICLE_COLUMNS}
    fetched = item.get("fetched_at")
    record["fetched_at"] = iso_utc(fetched) if hasattr(fetched, "astimezone") else fetched
    record["topics"] = list(item.get("topics") or [])
    record["matched_terms"] = dict(item.get("matched_terms") or {})
    record["canonical_url"] = item.get("canonical_url") or item.get("url")
    return record


class StorePipeline:
    def __init__(self, data_dir: str | Path, stats: StatsCollector | None = None):
        self.store = Store(data_dir, readonly=False)
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "StorePipeline":
        return cls(crawler.settings.get("NEWSMON_DATA_DIR"), crawler.stats)

    def close_spider(self) -> None:
        self.store.close()

    def process_item(self, item: Article) -> Article:
        record = article_record(item)
        urls = [item.get("url"), item.get("request_url"), item.get("origin_url"), record["canonical_url"]]
        try:
            result = self.store.upsert_article(record, urls)
        except StoreError as exc:
            raise DropItem(f"store failed: {item.get('url')}: {exc}") from None
        except Exception as exc:  # sqlite3.OperationalError: disk full, locked for too long
            if self.stats:
                self.stats.inc_value("newsmon/store/error")
                self.stats.inc_value(f"newsmon/source/{item.get('source')}/errors")
            raise DropItem(f"store failed: {item.get('url')}: {exc}") from None
        if self.stats:
            outcome = "created" if result.created else ("unchanged" if result.unchanged else "updated")
            self.stats.inc_value(f"newsmon/store/{outcome}")
            self.stats.inc_value(f"newsmon/source/{item.get('source')}/stored")
            if result.created:
                self.stats.inc_value(f"newsmon/source/{item.get('source')}/new")
        return item
