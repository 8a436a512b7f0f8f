"""What a metric-feed poll costs: 4 metrics, a 30-minute window.

Bookkeeping: a poll's work besides HTTP (append a sample, drop the oldest, judge it, build the
four frozen views) with full windows of 5 s samples (360 points a metric, the most a 30-minute
window holds), against the 16.7 ms a 60 Hz frame has (target ≤ 0.05 of a frame: the panel's
redraw needs the rest).
HTTP: `MetricFeed.poll_once` against the drill's query API (in its own process, as a real
Prometheus would be) over one shared client, against the same four instant queries each on a
client of its own (what prom.check did on every poll) in the same run (target ≤ 1.0).

Prints JSON; exits 1 if a target is missed.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench_kube_pods import drill_process  # benchmarks run as scripts: their folder is on the path

from tui.adapters.prometheus import Prometheus
from tui.domain.metrics import Baseline, metric_view
from tui.domain.runbook import Metric
from tui.session.metric_feed import MetricFeed, append_point

FRAME_S = 1 / 60
BOOKKEEPING_TARGET = 0.05
HTTP_TARGET = 1.0
ROUNDS = 30
WINDOW, INTERVAL = 1800.0, 5.0
METRICS = [
    Metric("error_ratio", 'service:http_requests_errors:ratio_rate5m{service="{{ service }}"}',
           "ratio", 0.05, "above_is_bad"),
    Metric("latency_p95", 'service:http_request_duration_seconds:p95_5m{service="{{ service }}"}',
           "seconds", 0.5, "above_is_bad"),
    Metric("request_rate", 'service:http_requests:rate5m{service="{{ service }}"}', "req/s", 1.0,
           "below_is_bad"),
    Metric("error_ratio_all", "service:http_requests_errors:ratio_rate5m", "ratio", 0.05,
           "above_is_bad"),
]
VALUES = {"service": "checkout"}


def bookkeeping_seconds() -> float:
    """Median time of one poll's bookkeeping for four metrics with full windows."""
    now = time.time()
    points = {m.name: tuple((now - WINDOW + i * INTERVAL, 0.01 + i * 1e-5)
                            for i in range(int(WINDOW / INTERVAL))) for m in METRICS}
    baselines = {m.name: Baseline.from_values(m.query, 0, 1, [0.01, 0.02]) for m in METRICS}
    samples = []
    for _ in range(200):
        now += INTERVAL
        start = time.perf_counter()
        for metric in METRICS:
            points[metric.name] = append_point(points[metric.name], (now, 0.02), now - WINDOW)
            metric_view(metric, points[metric.name], now=now,
                        baseline=baselines[metric.name], window=WINDOW)
        samples.append(time.perf_counter() - start)
    assert all(len(p) == int(WINDOW / INTERVAL) for p in points.values())
    return statistics.median(samples)


async def median_async(fn: Callable[[], Awaitable[Any]]) -> float:
    """Median wall time of ROUNDS awaits (after one warm-up)."""
    await fn()
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


async def http_seconds(url: str) -> dict[str, float]:
    """The first fill, a shared-client poll, and fresh-client polls, against one server."""
    queries = [m.query.replace("{{ service }}", VALUES["service"]) for m in METRICS]

    async def fresh_clients() -> None:
        async def one(query: str) -> float:
            async with Prometheus(url, environ={}) as prometheus:
                return (await prometheus.query_one(query)).value

        await asyncio.gather(*(one(q) for q in queries))

    async with MetricFeed(url, METRICS, VALUES, environ={}) as feed:
        start = time.perf_counter()
        views = await feed.poll_once()
        fill = time.perf_counter() - start
        if any(v.stale or not v.points for v in views.values()):
            raise RuntimeError(f"the feed could not read the drill: {views}")
        shared = await median_async(feed.poll_once)
        fresh = await median_async(fresh_clients)
    return {"fill": fill, "shared": shared, "fresh": fresh}


def main() -> int:
    """Measure both, report."""
    bookkeeping = bookkeeping_seconds()
    with (tempfile.TemporaryDirectory(prefix="bench-metric-feed-") as folder,
          drill_process(Path(folder), "bad-release") as info):
        http = asyncio.run(http_seconds(info["prometheus"]))
    frame_share = bookkeeping / FRAME_S
    http_ratio = http["shared"] / http["fresh"]
    ok = frame_share <= BOOKKEEPING_TARGET and http_ratio <= HTTP_TARGET
    print(json.dumps({
        "metrics": len(METRICS), "window_s": WINDOW,
        "bookkeeping": {"points_per_metric": int(WINDOW / INTERVAL),
                        "per_poll_us": round(bookkeeping * 1e6, 1),
                        "share_of_60hz_frame": round(frame_share, 4),
                        "target": BOOKKEEPING_TARGET},
        "http": {"first_fill_ms": round(http["fill"] * 1e3, 1),
                 "poll_shared_client_median_ms": round(http["shared"] * 1e3, 2),
                 "poll_fresh_clients_median_ms": round(http["fresh"] * 1e3, 2),
                 "ratio": round(http_ratio, 3), "target": HTTP_TARGET},
        "ok": ok}, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
