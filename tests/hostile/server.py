"""A hostile web site on 127.0.0.1, port 0, for the tests in this folder.

Each test hands :func:`serving` a function ``route(path, query) -> Reply``; the server calls it
for every GET in its own threads, so the crawl (a child process) talks to a real HTTP server.
Bodies may be bytes or an iterator of chunks (streamed, so a test can serve 50 MB without
holding it). Every request's path is recorded, in order, so a test can count fetches.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    body: bytes | Iterable[bytes] = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[[str, dict[str, str]], Reply]


@dataclass
class Site:
    url: str
    hits: list[str]

    def count(self, prefix: str) -> int:
        return sum(1 for h in self.hits if h.startswith(prefix))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    route: Route
    hits: list[str]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        self.server.hits.append(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        reply = self.server.route(parts.path, query)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        try:
            if isinstance(reply.body, bytes):
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            else:
                self.send_header("Connection", "close")
                self.end_headers()
                for chunk in reply.body:
                    self.wfile.write(chunk)
                self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serving(route: Route) -> Iterator[Site]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.route = route
    server.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_address[1]}", server.hits)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
