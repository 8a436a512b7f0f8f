"""A real local HTTP server standing in for a chat or status-page webhook: it records what it
receives and answers as scripted (status codes, delays), so retries and timeouts run for real."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class WebhookServer:
    """`answers`: (status, delay seconds) per request in turn; the last one repeats."""

    answers: list[tuple[int, float]] = field(default_factory=lambda: [(200, 0.0)])
    received: list[Received] = field(default_factory=list)
    url: str = ""

    def answer(self) -> tuple[int, float]:
        """The next scripted answer."""
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@contextmanager
def webhook_server(*answers: tuple[int, float], path: str = "/hooks/T000/SECRETPATH"
                   ) -> Iterator[WebhookServer]:
    """Serve on 127.0.0.1 on a free port in a thread; `server.url` ends in `path`."""
    state = WebhookServer(list(answers) or [(200, 0.0)])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            state.received.append(Received(self.path, dict(self.headers.items()),
                                           json.loads(raw or b"null")))
            status, delay = state.answer()
            time.sleep(delay)
            body = b"ok" if status < 400 else b"invalid_token SECRETPATH"
            try:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                pass

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read `received`, not the log."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def unused_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
