"""Real local receivers for alert tests: an HTTP endpoint and an SMTP server (aiosmtpd).

Both listen on 127.0.0.1, record what they receive, and can be told to fail the first N
deliveries, so retries are exercised against real sockets.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class HttpReceiver:
    fail_first: int = 0  # answer HTTP 500 to the first N requests
    status: int = 200  # then this
    delay: float = 0.0  # seconds to wait before answering (timeouts)
    requests: list[Request] = field(default_factory=list)  # accepted ones
    tried: list[Request] = field(default_factory=list)  # every attempt, accepted or not
    attempts: int = 0

    def __enter__(self) -> "HttpReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.attempts += 1
                receiver.tried.append(Request(self.path, dict(self.headers.items()), body))
                if receiver.delay:
                    time.sleep(receiver.delay)
                if receiver.attempts <= receiver.fail_first:
                    code = 500
                else:
                    code = receiver.status
                    if 200 <= code < 300:
                        receiver.requests.append(Request(self.path, {k: v for k, v in self.headers.items()}, body))
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, receiver: "SmtpReceiver") -> None:
        self.receiver = receiver

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.receiver.attempts += 1
        if self.receiver.attempts <= self.receiver.fail_first:
            return "451 4.3.0 try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.receiver.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


@dataclass
class SmtpReceiver:
    fail_first: int = 0
    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    attempts: int = 0

    def __enter__(self) -> "SmtpReceiver":
        self.port = free_port()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
