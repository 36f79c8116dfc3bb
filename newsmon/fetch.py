"""One page fetched outside a crawl (``newsmon extract URL``, ``newsmon topics test URL``).

A whole-request deadline (a server dripping one byte a second cannot hold it), a size cap, gzip
bodies gunzipped within the sitemap protocol's limit, and redirects to private addresses
refused, as the crawl's guard refuses them. A crawl never uses this: it fetches through Scrapy.
"""

from __future__ import annotations

import errno
import gzip
import http.client
import socket
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import HTTPRedirectHandler, Request, build_opener

from crawler.addresses import is_public

DEFAULT_USER_AGENT = "newsmon/0.1 (+page fetch; polite news monitor)"
DEFAULT_TIMEOUT = 20.0
MAX_BODY = 10 * 1024 * 1024
MAX_GUNZIPPED = 50 * 1024 * 1024  # the sitemap protocol's own limit per file


@dataclass(frozen=True, slots=True)
class Fetched:
    status: int
    content_type: str
    body: bytes
    url: str  # after redirects


class FetchError(Exception):
    """A URL that gave no usable body; ``status`` is set when the server did answer."""

    def __init__(self, message: str, status: int | None = None, content_type: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.content_type = content_type


class _GuardedRedirects(HTTPRedirectHandler):
    """Follow redirects only to public addresses or to the source's own hosts.

    The URLs in sources.yaml are trusted, the redirects a server sends are not: without this a
    check would fetch (and report on) 127.0.0.1 or a cloud metadata address for a remote site.
    """

    def __init__(self, allowed_hosts: Iterable[str]) -> None:
        self.allowed_hosts = {h.lower() for h in allowed_hosts}

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        host = (urlsplit(newurl).hostname or "").lower()
        if host not in self.allowed_hosts and not _resolves_public(host):
            raise FetchError(f"redirect to a private address refused: {newurl}", status=code)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _resolves_public(host: str) -> bool:
    try:
        addresses = [info[4][0] for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)]
    except OSError:
        return True  # the fetch itself will fail with a DNS error, reported as such
    return bool(addresses) and all(is_public(a) for a in addresses)


def fetch(url: str, *, timeout: float = DEFAULT_TIMEOUT, user_agent: str = DEFAULT_USER_AGENT,
          max_bytes: int = MAX_BODY, allowed_hosts: Iterable[str] = ()) -> Fetched:
    """GET ``url`` with a whole-request deadline and a size cap; gzip bodies come back gunzipped.

    ``timeout`` bounds each socket operation *and* the whole read, so a server dripping bytes
    cannot hold a check forever.
    """
    request = Request(url, headers={"User-Agent": user_agent, "Accept": "*/*", "Accept-Encoding": "gzip"})
    deadline = time.monotonic() + timeout
    try:
        opener = build_opener(_GuardedRedirects({urlsplit(url).hostname or "", *allowed_hosts}))
        with opener.open(request, timeout=timeout) as response:  # http(s) only, validated by config
            content_type = response.headers.get("Content-Type", "") or ""
            body = _read_capped(response, max_bytes, deadline, timeout)
            status = response.status
            final_url = response.geturl()
    except HTTPError as exc:
        exc.close()  # it holds the response and its socket
        content_type = exc.headers.get("Content-Type", "") if exc.headers else ""
        raise FetchError(f"HTTP {exc.code}", status=exc.code, content_type=content_type or None) from None
    except FetchError:
        raise
    except (URLError, OSError, http.client.HTTPException) as exc:
        raise FetchError(describe_error(exc, timeout)) from None
    if body[:2] == b"\x1f\x8b":
        try:
            body = _gunzip(body, MAX_GUNZIPPED)
        except ValueError:
            raise FetchError(f"gzip body larger than {_size(MAX_GUNZIPPED)}", status=status,
                             content_type=content_type or None) from None
        except (OSError, EOFError) as exc:
            raise FetchError(f"bad gzip body: {exc}", status=status, content_type=content_type or None) from None
    return Fetched(status=status, content_type=content_type, body=body, url=final_url)


def _gunzip(data: bytes, max_size: int) -> bytes:
    """``data`` decompressed, refused (ValueError) past ``max_size`` bytes: a bomb is never held."""
    out = BytesIO()
    with gzip.GzipFile(fileobj=BytesIO(data)) as stream:
        while chunk := stream.read(65536):
            out.write(chunk)
            if out.tell() > max_size:
                raise ValueError(f"decompressed more than {max_size} bytes")
    return out.getvalue()


def _read_capped(response: Any, max_bytes: int, deadline: float, timeout: float) -> bytes:
    buf = BytesIO()
    while True:
        if time.monotonic() > deadline:
            raise FetchError(f"timeout after {timeout:g}s")
        # read1: what the socket has now; read(n) would wait for all n bytes, and a server
        # dripping one byte a second would hold it far past the deadline
        chunk = response.read1(65536) if hasattr(response, "read1") else response.read(65536)
        if not chunk:
            return buf.getvalue()
        buf.write(chunk)
        if buf.tell() > max_bytes:
            raise FetchError(f"body larger than {_size(max_bytes)}", status=response.status)


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n} bytes"


def describe_error(exc: BaseException, timeout: float) -> str:
    """A short, stable phrase for a network failure."""
    reason: object = exc.reason if isinstance(exc, URLError) else exc
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, (TimeoutError, socket.timeout)):
        # urllib wraps only connect-stage errors in URLError; a silent server times out unwrapped.
        return f"timeout after {timeout:g}s" + (" (connecting)" if isinstance(exc, URLError) else "")
    if isinstance(reason, OSError) and reason.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return "network unreachable"
    if isinstance(reason, socket.gaierror):
        return "DNS lookup failed"
    if isinstance(reason, ssl.SSLError):
        return f"TLS error: {getattr(reason, 'reason', None) or reason}"
    if isinstance(reason, ConnectionResetError):
        return "connection reset"
    if isinstance(reason, (http.client.RemoteDisconnected, http.client.IncompleteRead)):
        return "connection closed by server"
    if isinstance(reason, str):
        return reason
    text = str(reason) or type(reason).__name__
    return text.splitlines()[0][:120]


# --------------------------------------------------------------------------------------------
# Parsing what came back
# --------------------------------------------------------------------------------------------
