"""The metric feed over real HTTP: the drill's query API (rollback, faults, outages) and a real
Prometheus; connections counted by a TCP forwarder in front of the server."""

from __future__ import annotations

import asyncio
import math
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import REPO
from test_prometheus_adapter import _real_env, real_prometheus  # noqa: F401 - a fixture

from tui.actions.base import ActionContext
from tui.actions.web import PromCheck
from tui.adapters.prometheus import Prometheus
from tui.domain.incident import Redactor
from tui.domain.metrics import MetricStatus, MetricView, Severity, Trend, summary_line
from tui.domain.runbook import Metric, validate_runbook
from tui.session.metric_feed import MetricFeed

RUNBOOK = validate_runbook((REPO / "runbooks" / "revert-deployment.yaml").read_bytes(),
                           "revert-deployment.yaml").runbook
METRICS = RUNBOOK.metrics
VALUES = {"service": "checkout"}
RELEASE_AGE = 600  # bad-release: 2.4.0 went out ten (real) minutes before the drill starts


class Forwarder:
    """A TCP forwarder in front of a server: counts the connections clients open, and can stop
    listening (clients get connection refused) and listen again on the same port."""

    def __init__(self, target: str) -> None:
        parts = urllib.parse.urlsplit(target)
        self.target = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.path = parts.path
        self.connections = 0
        self.port = 0
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []

    @property
    def url(self) -> str:
        """The target's URL, through the forwarder."""
        return f"http://127.0.0.1:{self.port}{self.path}"

    def listen(self) -> None:
        """Accept connections (again, on the same port)."""
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def refuse(self) -> None:
        """Stop listening and cut every forwarded connection."""
        if self._listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would not, on Linux,
            # and the kernel would go on accepting.
            try:
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
        for sock in self._open:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            self.connections += 1
            upstream = socket.create_connection(self.target)
            self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(a, b), daemon=True).start()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass


@pytest.fixture
def forwarder():
    """Start Forwarder(target) listening; all are stopped after the test."""
    made: list[Forwarder] = []

    def start(target: str) -> Forwarder:
        proxy = Forwarder(target)
        proxy.listen()
        made.append(proxy)
        return proxy

    yield start
    for proxy in made:
        proxy.refuse()


async def _until(what: str, check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)
    return value


def _faults(info, method: str, faults: list[str] | None = None) -> None:
    response = httpx.request(method, f"{info.api}/drill/faults", json=faults)
    assert response.status_code < 300, response.text


# --- the drill ----------------------------------------------------------------------------


async def test_the_feed_fills_the_window_and_judges_the_bad_release(drill) -> None:
    _, info = drill("bad-release", speed=20)
    release = time.time() - RELEASE_AGE
    updates: list[Mapping[str, MetricView]] = []
    async with MetricFeed(info.prometheus, METRICS, VALUES, on_update=updates.append) as feed:
        views = await feed.poll_once()
        now = time.time()
        assert list(views) == ["error_ratio", "latency_p95", "request_rate"]
        error = views["error_ratio"]
        times = [t for t, _ in error.points]
        # 15 s steps on multiples of 15 over the last 30 minutes, then the poll's value.
        assert times == sorted(times) and len(times) in (121, 122)
        assert now - 1800 <= times[0] <= now - 1785 and times[1] - times[0] == 15
        assert times[-1] == pytest.approx(now, abs=2) and error.updated_at == times[-1]
        # Twenty minutes before the release at the baseline, ten after it above the 12 % the
        # crash-looping pods fail while they serve: most of the time none serves (503s).
        before = [v for t, v in error.points if t < release - 30]
        after = [v for t, v in error.points if t > release + 30]
        assert len(before) >= 75 and all(v == pytest.approx(0.002, rel=0.2) for v in before)
        assert len(after) >= 35 and all(0.11 <= v <= 1.0 for v in after)
        assert 0.11 <= error.current <= 1.0
        assert error.status is MetricStatus.BAD and not error.stale and error.last_error is None
        # (No trend: the ratio swings as the crash-looping pods come and go.)
        assert error.age == pytest.approx(0, abs=2)
        assert re.fullmatch(r"error_ratio \d+\.\d % [▬▲▼] \(no baseline, threshold 5 %\) ✗",
                            summary_line(error).text)
        rate = views["request_rate"]
        assert rate.status is MetricStatus.OK and rate.current == pytest.approx(40, rel=0.05)
        # 2.4.0 answers with a p95 of 0.45 s; the 503s of the dark moments are fast.
        p95 = views["latency_p95"].current
        assert p95 is not None and 0.1 <= p95 <= 0.5
        # At decision time the session freezes the hour before the release as the baseline.
        baseline = await feed.prometheus.baseline(
            'service:http_requests_errors:ratio_rate5m{service="checkout"}', release - 60)
        judged = feed.set_baselines({"error_ratio": baseline})
    assert judged["error_ratio"].baseline == baseline
    assert re.search(r"[▬▲▼] \(baseline 0\.2 %, threshold 5 %\) ✗$",
                     summary_line(judged["error_ratio"]).text)
    assert re.search(r"\d+× baseline", judged["error_ratio"].verdict)
    assert len(updates) == 2 and updates[-1]["error_ratio"] == judged["error_ratio"]


async def test_a_rollback_turns_the_error_ratio_good(drill, kubectl) -> None:
    _, info = drill("bad-release", speed=20)
    latest: dict[str, MetricView] = {}
    feed = MetricFeed(info.prometheus, METRICS, VALUES, interval=0.5,
                      on_update=lambda views: latest.update(views))
    stop = asyncio.Event()
    task = asyncio.create_task(feed.run(stop))
    try:
        await _until("the first poll", lambda: latest)
        assert latest["error_ratio"].status is MetricStatus.BAD
        undo = await asyncio.to_thread(kubectl, info, "rollout", "undo", "deployment/checkout",
                                       "--to-revision=2", "-n", "production")
        assert undo.returncode == 0, undo.stderr
        rollback = feed.mark("rollback started")
        await _until("the error ratio to turn good",
                     lambda: latest["error_ratio"].status is MetricStatus.OK, timeout=60)
        settled = time.time() - rollback.at
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await feed.aclose()
    error = latest["error_ratio"]
    # New pods start in a fraction of a second at speed 20, and the [5m] window is 15 s.
    assert settled < 45
    assert error.marks == (rollback,)
    assert all(v > 0.05 for t, v in error.points if rollback.at - 60 < t < rollback.at)
    assert error.current < 0.05 and error.trend is Trend.FALLING
    assert summary_line(error).text.endswith("(no baseline, threshold 5 %) ✓")
    assert summary_line(error).severity is Severity.OK
    assert task.done() and task.exception() is None


async def test_metrics_down_goes_stale_and_recovers_by_itself(drill) -> None:
    _, info = drill("bad-release", speed=20)
    seen: list[dict[str, MetricView]] = []
    feed = MetricFeed(info.prometheus, METRICS, VALUES, interval=0.2, max_backoff=0.8,
                      on_update=lambda views: seen.append(dict(views)))
    stop = asyncio.Event()
    task = asyncio.create_task(feed.run(stop))
    try:
        await _until("the first poll", lambda: seen)
        _faults(info, "POST", ["metrics-down"])
        down_at = time.time()
        await _until("a stale view two seconds old", lambda: seen[-1]["error_ratio"].stale
                     and seen[-1]["error_ratio"].age >= 2, timeout=15)
        stale = seen[-1]["error_ratio"]
        backing_off = feed.delay()
        _faults(info, "DELETE")
        await _until("recovery", lambda: not seen[-1]["error_ratio"].stale, timeout=15)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await feed.aclose()
    assert stale.last_error is not None
    assert stale.last_error.startswith(f"Prometheus at {info.prometheus} refused the query")
    assert "HTTP 503 (unavailable): metrics API down (injected fault metrics-down)" in (
        stale.last_error)
    assert stale.last_error.endswith("— showing the last values and retrying")
    assert stale.stale_since is not None and stale.stale_since >= down_at - 0.5
    assert stale.points and stale.current is not None and 0.11 <= stale.current <= 1.0
    assert stale.status is MetricStatus.BAD  # the last data still says so
    assert stale.retry_at is not None and stale.retry_at > stale.stale_since
    assert re.search(r"✗ STALE [23]s$", summary_line(stale).text)
    assert backing_off == 0.8  # 0.2 doubled per failed poll, capped
    recovered = seen[-1]["error_ratio"]
    assert recovered.last_error is None and recovered.stale_since is None
    assert recovered.retry_at is None and recovered.updated_at > stale.updated_at
    assert feed.delay() == 0.2


async def test_the_gap_of_an_outage_is_filled_from_history(drill) -> None:
    _, info = drill("bad-release", speed=20)
    async with MetricFeed(info.prometheus, METRICS[:1], VALUES, step=1, interval=0.2) as feed:
        await feed.poll_once()
        _faults(info, "POST", ["metrics-down"])
        outage = time.time()
        await asyncio.sleep(0.3)
        assert (await feed.poll_once())["error_ratio"].stale
        await asyncio.sleep(2.5)
        _faults(info, "DELETE")
        views = await feed.poll_once()
    inside = [t for t, _ in views["error_ratio"].points if outage + 0.5 < t < outage + 2.5]
    assert len(inside) >= 2  # one-second steps that no poll saw, fetched on recovery
    assert not views["error_ratio"].stale


async def test_the_window_changes_at_run_time(drill) -> None:
    _, info = drill("bad-release", speed=20)
    async with MetricFeed(info.prometheus, METRICS[:1], VALUES, window=600) as feed:
        short = (await feed.poll_once())["error_ratio"]
        feed.set_window(3600)
        long = (await feed.poll_once())["error_ratio"]
        feed.set_window(300)
        shrunk = (await feed.poll_once())["error_ratio"]
        feed.set_window(1800)
        regrown = (await feed.poll_once())["error_ratio"]
    assert 585 <= short.points[-1][0] - short.points[0][0] <= 600
    assert 3585 <= long.points[-1][0] - long.points[0][0] <= 3600 and long.window == 3600
    assert 285 <= shrunk.points[-1][0] - shrunk.points[0][0] <= 300
    assert shrunk.updated_at > long.updated_at
    assert 1785 <= regrown.points[-1][0] - regrown.points[0][0] <= 1800


async def test_one_connection_serves_every_poll(drill, forwarder) -> None:
    _, info = drill("bad-flag", speed=20)
    proxy = forwarder(info.prometheus)
    async with MetricFeed(proxy.url, METRICS, VALUES) as feed:
        for _ in range(5):
            views = await feed.poll_once()
    assert all(not v.stale for v in views.values())
    # The first poll asks for three metrics at once (a pool of up to three), then reuses it.
    assert 1 <= proxy.connections <= len(METRICS)
    shared = Prometheus(proxy.url, environ={})
    before = proxy.connections
    async with shared:
        for _ in range(2):
            async with MetricFeed(shared, METRICS[:1], VALUES) as feed:
                await feed.poll_once()
        await shared.query(METRICS[0].query.replace("{{ service }}", "checkout"))
    assert proxy.connections - before == 1  # two feeds and a query over one client


async def test_connection_refused_then_recovered(drill, forwarder) -> None:
    _, info = drill("bad-flag", speed=20)
    proxy = forwarder(info.prometheus)
    async with MetricFeed(proxy.url, METRICS[:1], VALUES) as feed:
        good = (await feed.poll_once())["error_ratio"]
        proxy.refuse()
        refused = (await feed.poll_once())["error_ratio"]
        proxy.listen()
        again = (await feed.poll_once())["error_ratio"]
    assert refused.stale and refused.points == good.points
    assert refused.last_error is not None
    assert refused.last_error.startswith(f"cannot reach Prometheus at {proxy.url}")
    assert not again.stale and len(again.points) == len(good.points) + 1


async def test_a_server_that_never_answers_leaves_the_views_stale() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # the handshake completes; nobody ever answers
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        seen: list[Mapping[str, MetricView]] = []
        async with Prometheus(url, timeout=0.3, environ={}) as prom:
            feed = MetricFeed(prom, METRICS, VALUES, interval=0.1, max_backoff=0.2,
                              on_update=seen.append)
            stop = asyncio.Event()
            task = asyncio.create_task(feed.run(stop))
            await _until("two failed polls", lambda: len(seen) >= 2, timeout=10)
            stop.set()
            await asyncio.wait_for(task, 5)
    view = seen[-1]["request_rate"]
    assert view.stale and view.current is None and view.status is MetricStatus.UNKNOWN
    assert view.last_error is not None
    assert f"Prometheus at {url} did not answer the range query" in view.last_error
    assert summary_line(view) == (
        "request_rate no data (no baseline, threshold 1 req/s) ◌ STALE", Severity.WARNING)
    assert task.exception() is None


async def test_queries_that_cannot_work_name_the_fix(drill) -> None:
    _, info = drill("bad-release", speed=20)
    broken = Metric("orders", 'orders:rate5m{shop="{{ shop }}"}', "req/s", 1.0, "below_is_bad")
    unknown = Metric("targets_up", "up", "", 1.0, "below_is_bad")
    async with MetricFeed(info.prometheus, [*METRICS[:1], broken, unknown], VALUES) as feed:
        views = await feed.poll_once()
    assert views["error_ratio"].status is MetricStatus.BAD and feed.failures == 0
    orders, up = views["orders"], views["targets_up"]
    assert orders.status is MetricStatus.UNKNOWN and not orders.stale
    assert orders.last_error is not None and "'shop'" in orders.last_error
    assert "the query of orders cannot be filled in" in orders.last_error
    # Prometheus refuses the expression (HTTP 400): retrying cannot help, the runbook must change.
    assert up.stale and up.status is MetricStatus.UNKNOWN and up.last_error is not None
    assert "HTTP 400 (bad_data)" in up.last_error and "'up'" in up.last_error
    assert up.last_error.endswith("— fix the query of targets_up in the runbook")


# --- prom.check ---------------------------------------------------------------------------


def test_prom_check_holds_over_one_connection(drill, forwarder, tmp_path: Path) -> None:
    _, info = drill("bad-flag", speed=20)
    proxy = forwarder(info.prometheus)
    progress: list[str] = []
    ctx = ActionContext(runbook=RUNBOOK, values=dict(VALUES), incident_dir=tmp_path,
                        redactor=Redactor(()), prometheus_url=proxy.url,
                        progress=progress.append)
    # bad-flag fails 15 % of requests: a 50 % threshold holds, for two seconds of polls.
    outcome = PromCheck().run({"query": "error_ratio", "threshold": 0.5, "for": "2s"}, ctx)
    assert outcome.ok, outcome.summary
    assert outcome.summary.startswith("error_ratio 0.1")
    assert len(progress) >= 3  # every poll that held reported progress
    assert proxy.connections == 1


# --- a real Prometheus --------------------------------------------------------------------


async def test_a_real_prometheus_feeds_the_same_series(
        real_prometheus: dict[str, str]) -> None:  # noqa: F811 - the imported fixture
    # The fixture's drill runs bad-flag: 15 % errors since the flag went on.
    env = _real_env(real_prometheus)
    async with MetricFeed(real_prometheus["url"], METRICS[:2], VALUES, environ=env) as feed:
        first = await feed.poll_once()
        await asyncio.sleep(1.1)
        views = await feed.poll_once()
    error = views["error_ratio"]
    assert not error.stale and error.last_error is None
    assert error.current == pytest.approx(0.15, rel=0.2) and error.status is MetricStatus.BAD
    assert len(error.points) == len(first["error_ratio"].points) + 1
    # A fresh Prometheus may have recorded NaN (0/0) in its first seconds; all else is 15 %.
    finite = [v for _, v in error.points if math.isfinite(v)]
    assert finite[-2:] == [v for _, v in error.points[-2:]]
    assert all(v == pytest.approx(0.15, rel=0.2) for v in finite)
    assert re.fullmatch(r"error_ratio 1\d\.\d % [▬▲▼] \(no baseline, threshold 5 %\) ✗",
                        summary_line(error).text)
    assert views["latency_p95"].current is not None and views["latency_p95"].current > 0


def test_the_feed_imports_no_ui() -> None:
    probe = ("import sys, tui.session.metric_feed\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('textual', 'rich', 'screens', 'widgets')))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
