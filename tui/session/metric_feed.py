"""The live metric feed the metric panels subscribe to: a window of each runbook metric from one
Prometheus, polled, judged against the frozen baselines, and honest about staleness.

Times are real epoch seconds from the feed's clock, and every query names its time, so fetched
and polled points share one timeline even when Prometheus' clock differs. A drill at --speed X
keeps real timestamps too (its history is an hour of real time); only its recording rules'
[5m] window shrinks to 5m/X, so after a rollback its values settle X times sooner.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Self

from tui.adapters.prometheus import Prometheus, PrometheusError
from tui.domain.metrics import Baseline, Mark, MetricView, Point, metric_view
from tui.domain.runbook import Metric, render_args
from tui.domain.templating import TemplateError

WINDOW = 1800.0  # seconds of history a panel shows
STEP = 15.0  # resolution of the history fetched with query_range
INTERVAL = 5.0  # seconds between instant polls
MAX_BACKOFF = 30.0  # the longest wait between attempts while Prometheus does not answer
TIMEOUT = 10.0  # per request, for a client the feed makes itself

log = logging.getLogger(__name__)
Listener = Callable[[Mapping[str, MetricView]], None]


@dataclass(slots=True)
class _Track:
    """One metric's running state (mutable; views are the frozen snapshots of it)."""

    metric: Metric
    query: str | None  # None: the query could not be filled in (see error)
    points: tuple[Point, ...] = ()
    covered_from: float | None = None  # the oldest time a range query has asked about
    error: str | None = None
    failed_since: float | None = None


class MetricFeed:
    """A runbook's metrics from one Prometheus: history once, then polls, over one client."""

    def __init__(self, prometheus: Prometheus | str, metrics: Sequence[Metric],
                 values: Mapping[str, str], *, on_update: Listener | None = None,
                 window: float = WINDOW, step: float = STEP, interval: float = INTERVAL,
                 max_backoff: float = MAX_BACKOFF, clock: Callable[[], float] = time.time,
                 environ: Mapping[str, str] | None = None) -> None:
        """Prepare the feed; give a URL (the feed owns its client) or a client to share.

        No request is made until the first poll. PrometheusError: the URL (or its CA file)
        is unusable.
        """
        self._owns_client = isinstance(prometheus, str)
        self.prometheus = (Prometheus(prometheus, timeout=TIMEOUT, environ=environ)
                           if isinstance(prometheus, str) else prometheus)
        self.on_update = on_update
        self.window, self.step, self.interval = window, step, interval
        self.max_backoff, self.clock = max_backoff, clock
        self.baselines: dict[str, Baseline] = {}
        self.tolerances: dict[str, float] = {}
        self.marks: tuple[Mark, ...] = ()
        self.failures = 0  # consecutive polls in which Prometheus answered nothing
        self.next_poll_at: float | None = None
        self._tracks = {m.name: _track(m, values) for m in metrics}
        self._views: dict[str, MetricView] = {}
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the client if the feed made it (a shared one stays open)."""
        if self._owns_client:
            await self.prometheus.aclose()

    # ---- settings (take effect at once; the run loop wakes up) --------------------------------
    def set_interval(self, seconds: float) -> None:
        """Poll every `seconds` from now on."""
        if not seconds > 0:
            raise ValueError(f"the poll interval must be positive, got {seconds}")
        self.interval = seconds
        self._wake.set()

    def set_window(self, seconds: float) -> None:
        """Show `seconds` of history; a longer window is fetched on the next poll."""
        if not seconds > 0:
            raise ValueError(f"the window must be positive, got {seconds}")
        self.window = seconds
        self._wake.set()

    def set_baselines(self, baselines: Mapping[str, Baseline],
                      tolerances: Mapping[str, float] | None = None) -> dict[str, MetricView]:
        """Freeze the baselines (by metric name) the values are judged against from now on.

        `tolerances` (by metric name) also fails a value beyond that multiple of the baseline
        mean; without one, the baseline is shown and the threshold alone judges.
        """
        self.baselines = dict(baselines)
        self.tolerances = dict(tolerances or {})
        return self._publish()

    def mark(self, label: str, at: float | None = None) -> Mark:
        """Remember a moment (`rollback started`) that the views carry for the chart."""
        moment = Mark(self.clock() if at is None else at, label)
        self.marks = (*self.marks, moment)
        self._publish()
        return moment

    # ---- reading ------------------------------------------------------------------------------
    def views(self) -> dict[str, MetricView]:
        """The latest view of every metric, in the runbook's order."""
        return dict(self._views)

    async def poll_once(self) -> dict[str, MetricView]:
        """Fetch what each metric lacks (history, then the current value), judge, notify."""
        async with self._lock:
            now = self.clock()
            tracks = list(self._tracks.values())
            answered = await asyncio.gather(*(self._refresh(t, now) for t in tracks))
            asked = [ok for t, ok in zip(tracks, answered, strict=True) if t.query is not None]
            self.failures = self.failures + 1 if asked and not any(asked) else 0
            self.next_poll_at = now + self.delay()
            return self._publish(now)

    def delay(self) -> float:
        """Seconds until the next poll: the interval, doubled per failed poll up to a cap."""
        if not self.failures:
            return self.interval
        return min(self.interval * 2 ** self.failures, max(self.max_backoff, self.interval))

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set; failures show in the views, nothing is raised."""
        while not stop.is_set():
            try:
                await self.poll_once()
            except Exception:  # a listener's bug must not end the live panels
                log.exception("metric feed listener failed")
            self._wake.clear()
            await _first_of(stop, self._wake, self.delay())

    # ---- internals ----------------------------------------------------------------------------
    async def _refresh(self, track: _Track, now: float) -> bool:
        """Bring one track up to `now`; False if Prometheus did not answer."""
        if track.query is None:
            return False
        try:
            start = now - self.window
            if track.covered_from is None or track.covered_from > start + self.step:
                await self._fill(track, track.query, start, now)
            elif track.points and now - track.points[-1][0] > 2 * max(self.interval, self.step):
                await self._fill(track, track.query, track.points[-1][0], now)  # an outage's gap
            sample = await self.prometheus.query_one(track.query, at=now)
        except PrometheusError as exc:
            if exc.status in (400, 422):
                # PromQL Prometheus refuses: asking again will not help, the runbook must change.
                self._failed(track, now, f"{exc} — fix the query of {track.metric.name} in the "
                             "runbook")
            else:
                self._failed(track, now, f"{exc} — showing the last values and retrying")
            return False
        except Exception as exc:  # unexpected answers must not stop the feed
            log.exception("metric feed: %s", track.metric.name)
            self._failed(track, now, f"reading {track.metric.name} from "
                         f"{self.prometheus.shown_url} failed: {type(exc).__name__}: {exc} — "
                         "showing the last values and retrying")
            return False
        track.points = append_point(track.points, (now, sample.value), now - self.window)
        # What was trimmed is no longer covered: a window made longer again refetches it.
        track.covered_from = max(track.covered_from or start, start)
        track.error = track.failed_since = None
        return True

    async def _fill(self, track: _Track, query: str, start: float, end: float) -> None:
        """Merge a range query's points into the track (history, or an outage's gap)."""
        # Steps on multiples of `step` (as Grafana aligns them): refetches land on the same times.
        aligned = math.ceil(start / self.step) * self.step
        series = await self.prometheus.query_range(query, aligned, end, self.step)
        if len(series) > 1:
            raise PrometheusError(f"{query!r} returned {len(series)} series at "
                                  f"{self.prometheus.shown_url}; narrow it with label matchers",
                                  url=self.prometheus.shown_url)
        fetched = series[0].points if series else []
        merged = dict(track.points)
        merged.update(fetched)
        track.points = _trimmed(tuple(sorted(merged.items())), end - self.window)
        track.covered_from = min(start, track.covered_from or start)

    @staticmethod
    def _failed(track: _Track, now: float, error: str) -> None:
        track.failed_since = track.failed_since or now
        track.error = error

    def _publish(self, now: float | None = None) -> dict[str, MetricView]:
        now = self.clock() if now is None else now
        self._views = {
            name: metric_view(t.metric, t.points, now=now, baseline=self.baselines.get(name),
                              tolerance=self.tolerances.get(name), stale_since=t.failed_since,
                              last_error=t.error, marks=self.marks,
                              retry_at=self.next_poll_at if t.failed_since else None,
                              window=self.window)
            for name, t in self._tracks.items()}
        if self.on_update is not None:
            self.on_update(MappingProxyType(self._views))
        return dict(self._views)


def _track(metric: Metric, values: Mapping[str, str]) -> _Track:
    try:
        return _Track(metric, render_args(metric.query, values))
    except TemplateError as exc:
        return _Track(metric, None, error=f"the query of {metric.name} cannot be filled in: "
                      f"{exc} — give the parameter a value")


def _trimmed(points: tuple[Point, ...], oldest: float) -> tuple[Point, ...]:
    cut = bisect_left(points, oldest, key=lambda p: p[0])
    return points[cut:] if cut else points


def append_point(points: tuple[Point, ...], point: Point, oldest: float) -> tuple[Point, ...]:
    """The points with `point` added (if newer) and those before `oldest` dropped: one copy."""
    cut = bisect_left(points, oldest, key=lambda p: p[0])
    if points and point[0] <= points[-1][0]:
        return points[cut:]
    return (*points[cut:], point)


async def _first_of(stop: asyncio.Event, wake: asyncio.Event, timeout: float) -> None:
    """Wait until either event is set or `timeout` seconds pass."""
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
