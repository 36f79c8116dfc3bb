"""Errors a command reports in one line (``newsmon.commands.common.user_errors``), kept in a
module with no heavy imports so every command can name them without loading Scrapy."""

from __future__ import annotations


class CrawlFailed(Exception):
    """The crawl could not run at all (not: some sources failed); the message says why."""
