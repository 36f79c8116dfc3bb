"""One classification of download failures, shared by the spider's accounting and middlewares.

Scrapy (≥ 2.13) wraps Twisted's errors in its own exceptions (DownloadConnectionRefusedError,
CannotResolveHostError, DownloadTimeoutError …); matching class *names* in several places let
them drift apart. Here the classes are checked with isinstance, once, and every caller asks.
"""

from __future__ import annotations

from twisted.internet import error as tx

from scrapy import exceptions as sx

# The host is not there at all: nothing else on it will answer either.
HOST_DOWN = (sx.CannotResolveHostError, sx.DownloadConnectionRefusedError, tx.DNSLookupError,
             tx.ConnectionRefusedError, tx.NoRouteError)
TIMEOUT = (sx.DownloadTimeoutError, tx.TimeoutError, tx.TCPTimedOutError)


def classify(exc: BaseException) -> str | None:
    """'dns' | 'connection_refused' | 'timeout' | 'too_large' | None (anything else)."""
    if isinstance(exc, (sx.CannotResolveHostError, tx.DNSLookupError)):
        return "dns"
    if isinstance(exc, (sx.DownloadConnectionRefusedError, tx.ConnectionRefusedError, tx.NoRouteError)):
        return "connection_refused"
    if isinstance(exc, TIMEOUT):
        return "timeout"
    if isinstance(exc, sx.DownloadCancelledError) or "larger than download max size" in str(exc).lower():
        return "too_large"
    return None


def host_down(exc: BaseException) -> bool:
    return isinstance(exc, HOST_DOWN)
