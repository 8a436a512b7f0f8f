"""The drill's HTTP server answers back-to-back requests on a keep-alive connection at once."""

from __future__ import annotations

import http.client
import statistics
import time


def test_keep_alive_gets_are_not_held_back_by_delayed_acks(drill) -> None:
    # Headers and body written separately without TCP_NODELAY wait for the client's delayed
    # ACK (Nagle): ~40 ms a request. A real API server sets TCP_NODELAY; so must the drill.
    _cluster, info = drill("bad-release")
    host, port = info.api.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    seconds = []
    try:
        for _ in range(20):
            started = time.perf_counter()
            connection.request("GET", "/version")
            response = connection.getresponse()
            body = response.read()
            seconds.append(time.perf_counter() - started)
            assert response.status == 200 and b"gitVersion" in body
    finally:
        connection.close()
    assert statistics.median(seconds) < 0.002, [round(s * 1000, 1) for s in seconds]
