"""Scrapy's robots.txt middleware, with its verdict kept on the request and a typed refusal.

Scrapy's :class:`~scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware` (Protego,
``ROBOTSTXT_OBEY``, the crawl's user agent) decides; this subclass only records what it decided
in ``request.meta["robots"]`` (``allowed``, ``disallowed``, or ``unknown`` when robots.txt could
not be fetched and Scrapy therefore allows everything) and raises :class:`RobotsDisallowed`, an
``IgnoreRequest`` subclass, so a caller can tell a robots.txt refusal by its type instead of by
the words of its message. It also gives every request waiting for the same robots.txt the parsed
rules (see :meth:`RobotsVerdict.robot_parser`). Every crawl, and ``newsmon sources check``,
uses it in place of Scrapy's (settings ``DOWNLOADER_MIDDLEWARES``).
"""

from __future__ import annotations

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

VERDICT_KEY = "robots"


class RobotsDisallowed(IgnoreRequest):
    """robots.txt forbids this URL to our user agent: the request was not sent."""


class RobotsVerdict(RobotsTxtMiddleware):
    async def robot_parser(self, request: Request) -> RobotParser | None:
        # Scrapy 2.19 hands the parser to the first request waiting for robots.txt only: the
        # others await the same Deferred after the first waiter's callback has turned its result
        # into None, and are let through unchecked. Once the download is done the parser is
        # stored, so read it from there.
        parser = await super().robot_parser(request)
        stored = self._parsers.get(urlparse_cached(request).netloc)
        return parser if isinstance(stored, Deferred) else stored

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        if rp is None:
            request.meta[VERDICT_KEY] = "unknown"
            return
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest:
            request.meta[VERDICT_KEY] = "disallowed"
            raise RobotsDisallowed(f"forbidden by robots.txt: {request.url}") from None
        request.meta[VERDICT_KEY] = "allowed"
