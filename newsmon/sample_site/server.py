"""Serve the sample site over HTTP on 127.0.0.1 (stdlib ThreadingHTTPServer, like Scrapy's mockserver).

``python -m newsmon.sample_site.server [--port N]`` prints the base URL as its first stdout line,
so a parent process can start it on port 0 and read where it landed.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from .blocking import HitLog
from .site import Response, dispatch


class _Handler(BaseHTTPRequestHandler):
    server_version = "SampleNews/1.0"
    protocol_version = "HTTP/1.1"
    verbose = False

    def _answer(self, with_body: bool) -> None:
        host, port = self.server.server_address[:2]
        base_url = f"http://{host}:{port}"
        try:
            resp = dispatch(self.path, base_url, hits=getattr(self.server, "hits", None))
        except Exception as exc:  # a fixture bug must show up as a 500, not a hung client
            self.log_error("error serving %s: %r", self.path, exc)
            resp = Response(500, "text/plain; charset=UTF-8", f"fixture error: {exc!r}".encode())
        if resp.delay:
            time.sleep(resp.delay)
        self.send_response(resp.status)
        if resp.content_type:
            self.send_header("Content-Type", resp.content_type)
        for key, value in resp.headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(resp.content_length))
        self.end_headers()
        if not with_body:
            return
        try:
            if isinstance(resp.body, bytes):
                self.wfile.write(resp.body)
            else:
                for chunk in resp.body:
                    self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True   # the client gave up (size cap, timeout): fine

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self._answer(with_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(with_body=False)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        if self.verbose:
            super().log_message(format, *args)


class _QuietServer(ThreadingHTTPServer):
    """Clients hanging up mid-response (a crawler cancelling the 20 MB page) are normal here."""

    def handle_error(self, request, client_address):  # type: ignore[no-untyped-def]
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def make_server(host: str = "127.0.0.1", port: int = 0, *, verbose: bool = False) -> ThreadingHTTPServer:
    """A bound, not yet serving, server; request threads are daemons so shutdown never hangs."""
    handler = type("SampleHandler", (_Handler,), {"verbose": verbose})
    server = _QuietServer((host, port), handler)
    server.daemon_threads = True
    server.hits = HitLog()  # type: ignore[attr-defined]  # the site's only state (see .blocking)
    return server


class SampleSite:
    """A sample site served from a background thread; use as a context manager."""

    def __init__(self, server: ThreadingHTTPServer) -> None:
        self._server = server
        host, port = server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=server.serve_forever, name="sample-site",
                                        kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SampleSite:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def start_in_thread(host: str = "127.0.0.1", port: int = 0) -> SampleSite:
    return SampleSite(make_server(host, port))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    server = make_server(args.host, args.port, verbose=args.verbose)
    host, port = server.server_address[:2]
    print(f"http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
