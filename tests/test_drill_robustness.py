"""The drill server under bad input and at shutdown: every failure is a Kubernetes Status on the
same connection, nothing is printed to the trainee's terminal, stop() leaves no threads behind."""

from __future__ import annotations

import gc
import http.client
import json
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tui.drill.cluster import DrillCluster
from tui.drill.httpserver import QuietLog
from tui.drill.scenario import find_scenario

PODS = "/api/v1/namespaces/production/pods"


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[DrillCluster]:
    drill = DrillCluster(find_scenario("bad-release"), folder=tmp_path / "drill", speed=20)
    drill.start()
    yield drill
    drill.stop()


class DrillConnection(http.client.HTTPConnection):
    """A connection that sends the drill's bearer token with every request, as kubectl does."""

    token = ""

    def putrequest(self, method: str, url: str, *args: Any, **kwargs: Any) -> None:
        super().putrequest(method, url, *args, **kwargs)
        if self.token:
            self.putheader("Authorization", f"Bearer {self.token}")


def connect(drill: DrillCluster, *, token: bool = True) -> http.client.HTTPConnection:
    parts = urlsplit(drill.server.url)
    conn = DrillConnection(parts.hostname, parts.port, timeout=10)
    conn.token = drill.token if token else ""
    return conn


def status_of(response: http.client.HTTPResponse) -> dict[str, Any]:
    assert response.getheader("Content-Type") == "application/json"
    body = json.loads(response.read())
    assert body["kind"] == "Status" and body["status"] == "Failure", body
    assert body["code"] == response.status
    return body


def still_serves(conn: http.client.HTTPConnection) -> None:
    conn.request("GET", "/version")
    response = conn.getresponse()
    assert response.status == 200, response.read()
    assert json.loads(response.read())["gitVersion"]


def error_log(drill: DrillCluster) -> str:
    path = drill.folder / "drill-errors.log"
    return path.read_text() if path.exists() else ""


# ---- bad requests: 400 Status naming what failed, on the same connection ----------------------

@pytest.mark.parametrize("query", ["watch=true&timeoutSeconds=abc", "watch=1&timeoutSeconds=-5",
                                   "watch=true&timeoutSeconds=1.5"])
def test_bad_watch_timeout_is_400_naming_the_parameter(cluster: DrillCluster, query: str,
                                                       capfd: pytest.CaptureFixture[str]) -> None:
    conn = connect(cluster)
    conn.request("GET", f"{PODS}?{query}")
    response = conn.getresponse()
    assert response.status == 400
    body = status_of(response)
    assert body["reason"] == "BadRequest" and "timeoutSeconds" in body["message"], body
    still_serves(conn)  # the same keep-alive connection answers the next request
    conn.close()
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("limit", ["abc", "-1"])
def test_bad_list_limit_is_400_naming_the_parameter(cluster: DrillCluster, limit: str) -> None:
    conn = connect(cluster)
    conn.request("GET", f"{PODS}?limit={limit}")
    response = conn.getresponse()
    assert response.status == 400
    body = status_of(response)
    assert body["reason"] == "BadRequest" and "limit" in body["message"], body
    still_serves(conn)
    conn.close()


@pytest.mark.parametrize("length", ["abc", "-3"])
def test_bad_content_length_is_answered_not_dropped(cluster: DrillCluster, length: str,
                                                    capfd: pytest.CaptureFixture[str]) -> None:
    conn = connect(cluster)
    conn.putrequest("POST", "/api/v1/namespaces/production/configmaps")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", length)
    conn.endheaders()
    response = conn.getresponse()  # before the fix: RemoteDisconnected
    assert response.status == 400
    body = status_of(response)
    assert "Content-Length" in body["message"] and length in body["message"], body
    # The body's end is unknown, so the server closes this connection after answering.
    assert response.getheader("Connection") == "close"
    conn.close()
    still_serves(connect(cluster))
    assert "Traceback" not in capfd.readouterr().err


# ---- internal errors: 500 Status naming the failure, logged quietly ---------------------------

def test_route_crash_is_500_status_and_never_printed(cluster: DrillCluster,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capfd: pytest.CaptureFixture[str]) -> None:
    def broken(request: Any, segments: list[str]) -> None:
        raise RuntimeError("simulated bug in a route")

    monkeypatch.setattr(cluster.api, "_route", broken)
    conn = connect(cluster)
    conn.request("GET", PODS)
    response = conn.getresponse()
    assert response.status == 500
    body = status_of(response)
    assert body["reason"] == "InternalError"
    assert "RuntimeError: simulated bug in a route" in body["message"]
    assert f"GET {PODS}" in body["message"]
    monkeypatch.undo()
    still_serves(conn)
    conn.close()
    assert capfd.readouterr().err == ""
    assert "simulated bug in a route" in error_log(cluster)


def test_crash_inside_a_watch_stream_ends_it_with_an_error_event(
        cluster: DrillCluster, monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str]) -> None:
    def matcher(request: Any, kind: str) -> Any:
        def match(obj: dict[str, Any]) -> bool:
            raise KeyError("simulated bug in a selector")
        return match

    monkeypatch.setattr(cluster.api, "matcher", matcher)
    conn = connect(cluster)
    conn.request("GET", f"{PODS}?watch=true&timeoutSeconds=30")
    response = conn.getresponse()
    assert response.status == 200  # the stream had started before the bug struck
    lines = [json.loads(line) for line in response.read().splitlines()]  # ends; no hang
    assert lines[-1]["type"] == "ERROR"
    status = lines[-1]["object"]
    assert status["kind"] == "Status" and status["code"] == 500
    assert "simulated bug in a selector" in status["message"]
    conn.close()
    assert capfd.readouterr().err == ""


def test_server_errors_outside_routes_are_logged_not_printed(
        cluster: DrillCluster, capfd: pytest.CaptureFixture[str]) -> None:
    try:
        raise OSError("simulated failure reading a request line")
    except OSError:
        cluster.server.handle_error(None, ("127.0.0.1", 40000))
    assert capfd.readouterr().err == ""
    assert "simulated failure reading a request line" in error_log(cluster)


# ---- the simulation's error log ---------------------------------------------------------------

def test_persistent_simulation_error_is_logged_once_per_minute_without_leaks(
        cluster: DrillCluster, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def tick() -> None:
        calls.append(1)
        raise ValueError("simulated controller bug")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        monkeypatch.setattr(cluster.controllers, "tick", tick)
        deadline = time.monotonic() + 10
        while len(calls) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        monkeypatch.undo()
        gc.collect()
    assert len(calls) >= 8
    lines = error_log(cluster).splitlines()
    assert len(lines) == 1, lines  # one line per distinct error per minute, not one per tick
    assert "simulated controller bug" in lines[0]
    leaks = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert not leaks, [str(w.message) for w in leaks]


def test_quiet_log_keeps_distinct_errors_and_repeats_after_the_interval(tmp_path: Path) -> None:
    log = QuietLog(tmp_path / "errors.log", every=0.2)
    for _ in range(50):
        log.write("a", "error a")
        log.write("b", "error b")
    assert (tmp_path / "errors.log").read_text().splitlines() == ["error a", "error b"]
    time.sleep(0.25)
    log.write("a", "error a again")
    assert (tmp_path / "errors.log").read_text().splitlines()[-1] == "error a again"
    assert log.count == 101
    QuietLog(tmp_path / "missing" / "errors.log").write("x", "never raises")


# ---- stop() ends every serving thread ---------------------------------------------------------

def _open_watch(drill: DrillCluster, path: str) -> socket.socket:
    parts = urlsplit(drill.server.url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: drill\r\nAuthorization: Bearer {drill.token}"
                 "\r\n\r\n".encode())
    assert sock.recv(12).startswith(b"HTTP/1.1 200")
    return sock


def test_stop_leaves_no_serving_threads(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    drill = DrillCluster(find_scenario("bad-release"), folder=tmp_path / "drill", speed=20)
    drill.start()
    # Watches without a timeout (the server's limit is 30 minutes), one with bookmarks …
    watches = [_open_watch(drill, f"{PODS}?watch=true"),
               _open_watch(drill, "/apis/apps/v1/namespaces/production/deployments?watch=1"
                                  "&allowWatchBookmarks=true&timeoutSeconds=1800"),
               _open_watch(drill, "/api/v1/configmaps?watch=true")]
    # … and an idle keep-alive connection waiting for its next request.
    idle = connect(drill)
    still_serves(idle)
    time.sleep(0.3)
    serving = [t for t in threading.enumerate() if t not in before]
    assert len(serving) >= 6, serving  # ticker, listener, three watches, one idle connection
    started = time.monotonic()
    drill.stop()
    assert time.monotonic() - started < 3
    deadline = time.monotonic() + 1.0
    while True:
        left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not left, [t.name for t in left]
    for sock in watches:  # each stream ended with its last chunk, none is left hanging
        sock.settimeout(5)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        sock.close()
        assert data.endswith(b"\r\n0\r\n\r\n"), data[-200:]
    idle.close()
