"""The drill's HTTP server answers back-to-back requests on a keep-alive connection at once."""

from __future__ import annotations

import http.client
import statistics
import time

from conftest import drill_auth


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


def test_a_client_does_not_reuse_a_connection_a_watch_stream_ended(drill) -> None:
    # The server closes the connection after a stream; unless the stream's headers say so, a
    # client sends its next request down the closing connection and loses it.
    _cluster, info = drill("bad-release")
    host, port = info.api.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", "/api/v1/namespaces/production/pods?watch=true"
                                  "&timeoutSeconds=1", headers=drill_auth(info))
        stream = connection.getresponse()
        assert stream.status == 200 and stream.read()
        assert stream.getheader("Connection") == "close"
        time.sleep(0.2)  # the server has closed its end by now
        connection.request("GET", "/version")
        answer = connection.getresponse()
        assert answer.status == 200 and b"gitVersion" in answer.read()
    finally:
        connection.close()
