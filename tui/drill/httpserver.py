"""The drill's HTTP server: HTTP/1.1 with keep-alive and chunked streams, on 127.0.0.1."""

from __future__ import annotations

import json
import select
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Response:
    """A complete (non-streamed) answer."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, obj: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer."""
    body = json.dumps(obj, separators=(",", ":")).encode()
    return Response(status, body, "application/json", headers or {})


class Request:
    """One request: what was asked, and a way to stream the answer."""

    def __init__(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        parts = urlsplit(handler.path)
        self.method = handler.command
        self.path = parts.path
        self.query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        self.headers = {k.lower(): v for k, v in handler.headers.items()}
        self.body = body
        self._handler = handler
        self.streaming = False

    def start_stream(self, content_type: str, status: int = 200) -> None:
        """Send headers for a chunked answer."""
        h = self._handler
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Transfer-Encoding", "chunked")
        h.send_header("Cache-Control", "no-cache, private")
        h.end_headers()
        self.streaming = True

    def write_chunk(self, data: bytes) -> None:
        """Send one chunk; raises OSError when the client is gone."""
        if data:
            self._handler.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self._handler.wfile.flush()

    def end_stream(self) -> None:
        """Send the last chunk."""
        try:
            self._handler.wfile.write(b"0\r\n\r\n")
            self._handler.wfile.flush()
        except OSError:
            pass

    def client_gone(self) -> bool:
        """Whether the client closed its side (readable socket with nothing to read)."""
        sock: socket.socket = self._handler.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return False
            return sock.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True


Route = Callable[[Request], Response | None]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "rollback-drill"

    def log_message(self, format: str, *args: Any) -> None:
        return  # the drill is quiet; the TUI and tests read its state, not its access log

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(self, body)
        response: Response | None = None
        try:
            for prefix, route in self.server.routes:  # type: ignore[attr-defined]
                if request.path == prefix or request.path.startswith(prefix.rstrip("/") + "/") \
                        or prefix == "/":
                    response = route(request)
                    if response is not None or request.streaming:
                        break
            if response is None and not request.streaming:
                response = json_response(404, {"kind": "Status", "apiVersion": "v1",
                                               "status": "Failure", "reason": "NotFound",
                                               "message": f"the server could not find the "
                                                          f"requested resource ({request.path})",
                                               "code": 404, "metadata": {}})
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            return
        if request.streaming:
            request.end_stream()
            self.close_connection = True
            return
        assert response is not None
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch


class DrillHTTPServer(ThreadingHTTPServer):
    """A threading server whose routes are (path prefix, callable) pairs, first match wins."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, port: int, routes: list[tuple[str, Route]]) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.routes = routes
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`."""
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> None:
        """Serve in a background thread."""
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.2},
                                       name="drill-http", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.shutdown()
        self.server_close()
