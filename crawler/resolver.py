"""DNS resolution that refuses private addresses at connect time (no DNS-rebinding gap).

:class:`crawler.middlewares.PrivateAddressGuard` refuses a request early with a clear reason,
but it resolves the name itself: a hostile DNS server could answer it with a public address and
the download's own lookup, a moment later, with 127.0.0.1. This resolver checks the very
address the download will connect to. Hosts a configured source lives on are exempt, as in the
guard.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError

from crawler.middlewares import is_public


logger = logging.getLogger(__name__)


class PrivateAddressRefused(DNSLookupError):
    """The name resolved, but to an address a crawl must not reach."""


class GuardedResolver(CachingThreadedResolver):
    allowed_hosts: frozenset[str] = frozenset()

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> "GuardedResolver":
        resolver = super().from_crawler(crawler, reactor)
        sources = crawler.settings.getlist("NEWSMON_SOURCES")
        resolver.allowed_hosts = frozenset(h.lower() for s in sources for h in s.allowed_hosts)
        resolver.enabled = crawler.settings.getbool("NEWSMON_BLOCK_PRIVATE_ADDRESSES", True)
        return resolver

    def getHostByName(self, name: str, timeout: Any = ()) -> Any:  # noqa: N802 - Twisted's API
        deferred = super().getHostByName(name, timeout)
        if not getattr(self, "enabled", True) or name.lower() in self.allowed_hosts:
            return deferred
        return deferred.addCallback(self._check, name)

    @staticmethod
    def _check(address: str, name: str) -> str:
        """Twisted reports any resolver failure as "no results for hostname lookup", so the real
        reason is logged here, once per name (the resolver caches)."""
        if not is_public(address):
            logger.warning("refused: %s resolves to private address %s", name, address)
            raise PrivateAddressRefused(f"{name} resolves to private address {address}: refused")
        return address
