"""Errors a command reports in one line (``newsmon.commands.common.user_errors``), kept in a
module with no heavy imports so every command can name them without loading Scrapy."""

from __future__ import annotations


class CrawlFailed(Exception):
    """The crawl could not run at all (not: some sources failed); the message says why."""


class StoreFailed(Exception):
    """The crawl stopped because the store refused a write (disk full, read-only, I/O error);
    the message names the database, the error, what was kept and what to do. Exit status 1."""
