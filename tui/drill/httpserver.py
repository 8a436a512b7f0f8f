"""The drill's HTTP server: HTTP/1.1 with keep-alive and chunked streams, on 127.0.0.1."""

from __future__ import annotations

import json
import select
import socket
import ssl
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

STOP_GRACE = 0.5  # seconds stop() lets busy handlers finish before cutting their connections
MAX_BODY = 3 * 1024 * 1024  # bytes, the API server's limit on a request body


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


def status_response(code: int, reason: str, message: str) -> Response:
    """A Kubernetes `Status` failure (what every route error is answered with)."""
    return json_response(code, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                "status": "Failure", "message": message, "reason": reason,
                                "code": code})


class BadRequest(ValueError):
    """A malformed request, answered 400 BadRequest with this message."""


class TooLarge(BadRequest):
    """A body over MAX_BODY, answered 413 RequestEntityTooLarge (and the connection closed)."""


class QuietLog:
    """Append-only error log that never prints and never raises.

    At most one line per distinct error per `every` seconds, so a persistent error cannot fill
    the disk; with no path it only counts.
    """

    def __init__(self, path: Path | None, every: float = 60.0) -> None:
        self.path, self.every = path, every
        self.count = 0
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def write(self, key: str, line: str) -> None:
        """Record `line` unless the same `key` was recorded less than `every` seconds ago."""
        now = time.monotonic()
        with self._lock:
            self.count += 1
            last = self._last.get(key)
            if last is not None and now - last < self.every:
                return
            if len(self._last) > 1000:  # many distinct errors: forget the old ones
                self._last = {k: t for k, t in self._last.items() if now - t < self.every}
            self._last[key] = now
            if self.path is None:
                return
            try:
                with self.path.open("a", encoding="utf-8") as log:
                    log.write(line.rstrip("\n") + "\n")
            except OSError:
                pass  # the log is best effort: a full disk must not break the drill

    def exception(self, where: str, exc: BaseException) -> None:
        """Record an exception as one line naming its type, message and innermost frame."""
        frames = traceback.extract_tb(exc.__traceback__)
        at = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        self.write(f"{where}|{exc!r}{at}", f"{stamp} {where}: {exc!r}{at}")


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
        self.stream_type = ""

    def query_int(self, name: str, default: int, *, minimum: int = 0) -> int:
        """An integer query parameter (absent or empty: `default`); BadRequest naming it."""
        raw = self.query.get(name, "")
        if raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise BadRequest(f"invalid value for query parameter {name}: {raw!r} is not an "
                             "integer") from None
        if value < minimum:
            raise BadRequest(f"invalid value for query parameter {name}: {value} must be "
                             f"greater than or equal to {minimum}")
        return value

    def start_stream(self, content_type: str, status: int = 200) -> None:
        """Send headers for a chunked answer."""
        h = self._handler
        self.stream_type = content_type
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Transfer-Encoding", "chunked")
        h.send_header("Cache-Control", "no-cache, private")
        # The connection ends with the stream: said up front, so that a client opens a new one
        # for its next request instead of sending it down this one as it closes.
        h.send_header("Connection", "close")
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
            # Peek at the TCP stream itself (an SSLSocket refuses flags): end of stream is b"".
            return socket.socket.recv(sock, 1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True


Route = Callable[[Request], Response | None]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "rollback-drill"

    tls_failed = False

    def setup(self) -> None:
        server: DrillHTTPServer = self.server  # type: ignore[assignment]
        if server.tls is not None and _starts_tls(self.request):
            raw = self.request
            try:
                self.request = server.tls.wrap_socket(raw, server_side=True)
            except (ssl.SSLError, OSError):
                self.tls_failed = True  # a bad handshake: nothing to answer, nothing to log
                raw.close()
                return
            server.adopt(raw, self.request)
        super().setup()
        # As a real API server: without it a small answer waits for the client's delayed ACK
        # (Nagle), ~40 ms a request on a keep-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self) -> None:
        if not self.tls_failed:
            super().handle()

    def finish(self) -> None:
        if self.tls_failed:
            return
        super().finish()
        if isinstance(self.request, ssl.SSLSocket):  # (socketserver closes the plain socket)
            try:
                self.request.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            self.request.close()

    def log_message(self, format: str, *args: Any) -> None:
        return  # the drill is quiet; the TUI and tests read its state, not its access log

    def _read_body(self) -> bytes:
        raw = self.headers.get("Content-Length") or "0"
        try:
            length = int(raw)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True  # the body's end is unknown: the connection is lost
            raise BadRequest(f"invalid Content-Length header: {raw!r}")
        if length > MAX_BODY:
            self.close_connection = True  # the body is left unread
            raise TooLarge(f"Request entity too large: limit is {MAX_BODY}")
        return self.rfile.read(length) if length else b""

    def _route(self, request: Request) -> Response | None:
        for prefix, route in self.server.routes:  # type: ignore[attr-defined]
            if request.path == prefix or request.path.startswith(prefix.rstrip("/") + "/") \
                    or prefix == "/":
                response = route(request)
                if response is not None or request.streaming:
                    return response
        if request.streaming:
            return None
        return status_response(404, "NotFound", f"the server could not find the requested "
                                                f"resource ({request.path})")

    def _dispatch(self) -> None:
        server: DrillHTTPServer = self.server  # type: ignore[assignment]
        request: Request | None = None
        try:
            request = Request(self, self._read_body())
            response = self._route(request)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            return
        except Exception as exc:  # noqa: BLE001 - every failure is answered, none escapes
            where = f"{self.command} {self.path}"
            if isinstance(exc, TooLarge):
                response = status_response(413, "RequestEntityTooLarge", str(exc))
            elif isinstance(exc, (ValueError, RecursionError)):
                # ValueError (BadRequest among them): something in the request did not parse;
                # RecursionError: it parsed, but nests too deep for any handler to walk.
                response = status_response(400, "BadRequest", f"{where}: {exc}")
            else:
                server.error_log.exception(where, exc)
                response = status_response(500, "InternalError", f"Internal error occurred: "
                                           f"{where}: {type(exc).__name__}: {exc}")
            if request is not None and request.streaming \
                    and request.stream_type.startswith("application/json"):
                # The headers went out already: end the stream with the error, as a watch does.
                try:
                    request.write_chunk(b'{"type":"ERROR","object":' + response.body + b"}\n")
                except OSError:
                    pass
        if request is not None and server.observer is not None:
            server.observe(request, response.status if response is not None else 200)
        if request is not None and request.streaming:
            request.end_stream()
            self.close_connection = True
            return
        assert response is not None
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for key, value in response.headers.items():
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        # Headers and body in one write: one segment for a small answer, one system call.
        self._headers_buffer.append(b"\r\n")  # type: ignore[attr-defined]
        if self.command != "HEAD":
            self._headers_buffer.append(response.body)  # type: ignore[attr-defined]
        self.flush_headers()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch

    def send_error(self, code: int, message: str | None = None, explain: str | None = None
                   ) -> None:
        """Every error http.server answers itself (bad request line, unknown method …) as a
        Kubernetes Status, not an HTML page; an unknown method (501 there) is 405, as the API
        server answers OPTIONS or TRACE."""
        if code == 501:
            code, reason = 405, "MethodNotAllowed"
            message = f"the server does not allow this method on the requested resource " \
                      f"({self.command})"
        else:
            reason = _REASONS.get(code, "BadRequest")
        response = status_response(code, reason, message or reason)
        self.close_connection = True  # the request may not have been read to its end
        try:
            self.send_response(code, reason)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD" and code >= 200 and code not in (204, 304):
                self.wfile.write(response.body)
        except OSError:
            pass


_REASONS = {400: "BadRequest", 404: "NotFound", 408: "Timeout", 413: "RequestEntityTooLarge",
            414: "RequestURITooLong", 431: "RequestHeaderFieldsTooLarge",
            500: "InternalError", 505: "BadRequest"}


def _starts_tls(sock: socket.socket) -> bool:
    """Whether the client opened with a TLS handshake record (0x16) rather than HTTP."""
    try:
        return sock.recv(1, socket.MSG_PEEK) == b"\x16"
    except OSError:
        return False


class DrillHTTPServer(ThreadingHTTPServer):
    """A threading server whose routes are (path prefix, callable) pairs, first match wins.

    It never prints: errors outside a route go to `error_log` (a QuietLog), one line each.
    """

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, port: int, routes: list[tuple[str, Route]],
                 error_log: QuietLog | None = None) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.routes = routes
        self.error_log = error_log or QuietLog(None)
        self.thread: threading.Thread | None = None
        self._active: dict[socket.socket, threading.Thread] = {}
        self._active_lock = threading.Lock()
        # Set before start: TLS is then served beside plain http on the same port.
        self.tls: ssl.SSLContext | None = None
        self._wrapped: dict[socket.socket, socket.socket] = {}  # plain socket -> its TLS one
        # Told of every request served, with its status (the drill's record of changes).
        self.observer: Callable[[Request, int], None] | None = None

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`."""
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> None:
        """Serve in a background thread."""
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.2},
                                       name="drill-http", daemon=True)
        self.thread.start()

    def process_request(self, request: Any, client_address: Any) -> None:
        """Serve one connection in its own thread, remembered until it ends (see `stop`)."""
        thread = threading.Thread(target=self.process_request_thread,
                                  args=(request, client_address), daemon=True)
        with self._active_lock:
            self._active[request] = thread
        thread.start()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._active_lock:
                self._active.pop(self._wrapped.pop(request, request), None)

    def adopt(self, plain: socket.socket, wrapped: socket.socket) -> None:
        """Track a connection by its TLS socket from now on (stop() cuts that one)."""
        with self._active_lock:
            thread = self._active.pop(plain, None)
            if thread is not None:
                self._active[wrapped] = thread
                self._wrapped[plain] = wrapped

    def observe(self, request: Request, status: int) -> None:
        """Tell the observer of a served request; its failure is logged, never answered."""
        if self.observer is None:
            return
        try:
            self.observer(request, status)
        except Exception as exc:  # noqa: BLE001 - a record must not break the API it records
            self.error_log.exception("change record", exc)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log quietly (socketserver's default prints a traceback to the trainee's terminal)."""
        exc = sys.exc_info()[1]
        if exc is None or isinstance(exc, (BrokenPipeError, ConnectionResetError)):
            return
        self.error_log.exception(f"connection from {client_address[0]}", exc)

    def stop(self) -> None:
        """Stop serving, end every connection and wait (bounded) for their threads."""
        self.shutdown()
        self.server_close()
        # Half-close first: idle keep-alive connections end at once, a busy one still sends its
        # answer, and a watch sees its client gone and ends its stream cleanly.
        self._cut(socket.SHUT_RD)
        if not self._join(STOP_GRACE):
            self._cut(socket.SHUT_RDWR)  # a handler stuck writing to a client that never reads
            self._join(1.0)

    def _cut(self, how: int) -> None:
        with self._active_lock:
            connections = list(self._active)
        for connection in connections:
            try:
                connection.shutdown(how)
            except OSError:
                pass

    def _join(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        with self._active_lock:  # (a route that stops the server cannot wait for itself)
            threads = [t for t in self._active.values() if t is not threading.current_thread()]
        for thread in threads:
            thread.join(max(deadline - time.monotonic(), 0))
        return not any(thread.is_alive() for thread in threads)
