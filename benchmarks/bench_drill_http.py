"""Back-to-back GETs on one keep-alive connection: the drill's API server against a baseline.

The baseline is the least a Python HTTP/1.1 server can do for the same answer: a thread that
reads the request head and sends the drill's own `/version` bytes (status line, headers, body)
in one `sendall` on a TCP_NODELAY socket. Both are asked the same way, in the same run, by
`http.client` over a kept-alive connection (as kubectl and the Python client ask).

Without TCP_NODELAY a small answer written in two parts waits for the client's delayed ACK
(~40 ms); a real API server sets it. Targets: the drill's median back-to-back GET under
TARGET_MS, and at most TARGET_RATIO times the baseline's. Prints JSON; exit 1 on a miss.
"""

from __future__ import annotations

import http.client
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

REQUESTS = 400
WARMUP = 20
TARGET_MS = 2.0
TARGET_RATIO = 4.0
PATH = "/version"


def median_ms(host: str, port: int) -> tuple[float, float, bytes]:
    """Median and p95 of back-to-back GETs of PATH on one connection, and the last body."""
    connection = http.client.HTTPConnection(host, port, timeout=10)
    samples: list[float] = []
    body = b""
    try:
        for index in range(WARMUP + REQUESTS):
            start = time.perf_counter()
            connection.request("GET", PATH)
            response = connection.getresponse()
            body = response.read()
            if index >= WARMUP:
                samples.append(time.perf_counter() - start)
            if response.status != 200:
                raise RuntimeError(f"GET {PATH}: {response.status}")
    finally:
        connection.close()
    samples.sort()
    return (statistics.median(samples) * 1000, samples[int(len(samples) * 0.95)] * 1000, body)


class BaselineServer:
    """Every request answered with the same body, status line and headers in one write.

    `answer`, when given, makes the body anew for each request (its cost is then timed too).
    """

    def __init__(self, body: bytes, answer: Callable[[], bytes] | None = None) -> None:
        self.body, self.make = body, answer
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        pending = b""
        with connection:
            while True:
                while b"\r\n\r\n" not in pending:
                    data = connection.recv(65536)
                    if not data:
                        return
                    pending += data
                _, pending = pending.split(b"\r\n\r\n", 1)  # GETs carry no body
                body = self.make() if self.make is not None else self.body
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                   + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)

    def close(self) -> None:
        """Stop accepting."""
        self.listener.close()


def main() -> int:
    """Start a drill and the baseline, time both, report."""
    from tui.drill.cluster import DrillCluster
    from tui.drill.scenario import find_scenario

    folder = Path(tempfile.mkdtemp(prefix="bench-drill-http-"))
    with DrillCluster(find_scenario("bad-release"), folder=folder) as cluster:
        host, port = cluster.server.server_address[:2]
        drill_median, drill_p95, body = median_ms(str(host), int(port))
        baseline = BaselineServer(body)
        try:
            base_median, base_p95, _ = median_ms("127.0.0.1", baseline.port)
        finally:
            baseline.close()
    ratio = drill_median / base_median
    ok = drill_median < TARGET_MS and ratio <= TARGET_RATIO
    print(json.dumps({
        "requests": REQUESTS, "path": PATH,
        "drill": {"median_ms": round(drill_median, 3), "p95_ms": round(drill_p95, 3)},
        "baseline_one_write_nodelay": {"median_ms": round(base_median, 3),
                                       "p95_ms": round(base_p95, 3)},
        "ratio": round(ratio, 2), "target_ms": TARGET_MS, "target_ratio": TARGET_RATIO,
        "ok": ok}, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
