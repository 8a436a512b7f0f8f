"""The simulated application: traffic follows the ready pods behind each Service.

Counters and a latency histogram per (service, code, version) advance every tick; samples are
kept so the drill's own query API can compute rates the way Prometheus' `rate()` does.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tui.drill.endpoints import Endpoints, Serving
from tui.drill.podsim import Behavior
from tui.drill.store import Store

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
HISTORY_SECONDS = 7200.0  # covers the synthesized hour plus the release age
SAMPLE_EVERY = 1.0
NO_ENDPOINTS = "none"


@dataclass
class ServiceTraffic:
    """Configuration and running totals of one service's traffic."""

    name: str
    namespace: str
    request_rate: float
    depends_on: tuple[tuple[str, float], ...] = ()  # (callee service, share of requests)
    requests: dict[tuple[str, str], float] = field(default_factory=dict)  # (code, version)
    buckets: dict[str, list[float]] = field(default_factory=dict)  # version -> cumulative
    sums: dict[str, float] = field(default_factory=dict)
    counts: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Sample:
    """The counters of every service at one moment."""

    at: float
    values: dict[str, dict[str, Any]]


def _group(behaviors: list[Behavior]) -> dict[Behavior, int]:
    """How many endpoints behave each way (traffic is split evenly between endpoints)."""
    groups: dict[Behavior, int] = {}
    for behavior in behaviors:
        groups[behavior] = groups.get(behavior, 0) + 1
    return groups


def _health(groups: Mapping[Behavior, int]) -> tuple[float, float]:
    """Error ratio and p95 of a service's endpoints now (no endpoint: every call fails)."""
    total = sum(groups.values())
    if not total:
        return 1.0, 0.0
    return (sum(b.error_ratio * n for b, n in groups.items()) / total,
            sum(b.latency_p95 * n for b, n in groups.items()) / total)


def _exponential_cdf(le: float, p95: float) -> float:
    # An exponential latency distribution whose 95th percentile is p95.
    theta = max(p95, 1e-6) / math.log(20)
    return 1 - math.exp(-le / theta)


class Traffic:
    """Advances every service's traffic; answers endpoints, health and version questions."""

    def __init__(self, store: Store, serving: Serving,
                 modifiers: Callable[[str, dict[str, Any], Behavior], Behavior],
                 modifier_inputs: Callable[[dict[str, Any]], Hashable] = lambda pod: ()) -> None:
        """`modifiers` adjusts a pod's behaviour (feature flags); it may read the pod only
        through `modifier_inputs`, which pods that behave alike under it share."""
        self.store, self.modifiers = store, modifiers
        self.routes = Endpoints(store, serving, modifier_inputs)
        self.services: dict[str, ServiceTraffic] = {}
        self.samples: deque[Sample] = deque()
        self.lock = threading.Lock()
        self._last_tick: float | None = None
        self._last_sample = 0.0

    def add_service(self, name: str, namespace: str, request_rate: float,
                    depends_on: tuple[tuple[str, float], ...] = ()) -> None:
        """Simulate traffic for a Service; `depends_on` (callee, share): that share of its
        requests call the callee, and fail or wait as the callee's do."""
        self.services[name] = ServiceTraffic(name, namespace, request_rate, depends_on)
        self.routes.add_service(name, namespace)

    def _depend(self, service: str, groups: dict[Behavior, int],
                callee_groups: Callable[[str], Mapping[Behavior, int]]) -> dict[Behavior, int]:
        """A caller's endpoint behaviours with its callees' failures and latency added.

        One level deep: a callee's own callees do not count (scenarios need no chains), so
        a cycle cannot recurse."""
        depends_on = self.services[service].depends_on if service in self.services else ()
        if not depends_on or not groups:
            return groups
        passed, extra_latency = 1.0, 0.0
        for callee, share in depends_on:
            errors, p95 = _health(callee_groups(callee))
            passed *= 1 - share * errors
            extra_latency += share * p95
        adjusted: dict[Behavior, int] = {}
        for behavior, count in groups.items():
            key = replace(behavior, error_ratio=1 - (1 - behavior.error_ratio) * passed,
                          latency_p95=behavior.latency_p95 + extra_latency)
            adjusted[key] = adjusted.get(key, 0) + count
        return adjusted

    def endpoints(self, service: str) -> list[tuple[dict[str, Any], Behavior]]:
        """Ready pods the Service selects, with their (flag-adjusted) behaviour (every pod)."""
        return [(pod, self.modifiers(service, pod, behavior))
                for pod, behavior in self.routes.pods(service)]

    def groups(self, service: str) -> dict[Behavior, int]:
        """How many ready pods behind the Service behave each way (flags and the services it
        depends on applied), in the order of the earliest created pod of each."""
        return self._depend(service, self._own_groups(service), self._own_groups)

    def _own_groups(self, service: str) -> dict[Behavior, int]:
        found: dict[Behavior, int] = {}
        if service not in self.services:
            return found
        for pod, behavior, count in self.routes.groups(service):
            adjusted = self.modifiers(service, pod, behavior)
            found[adjusted] = found.get(adjusted, 0) + count
        return found

    def first_endpoint(self, service: str) -> tuple[dict[str, Any], Behavior] | None:
        """The earliest created ready pod behind the Service, with its behaviour."""
        groups = self.routes.groups(service)
        if not groups:
            return None
        pod, behavior, _ = groups[0]
        return pod, self.modifiers(service, pod, behavior)

    def tick(self, now: float) -> None:
        """Add the requests served since the last tick (at most once a second)."""
        if self._last_tick is not None and now - self._last_tick < SAMPLE_EVERY:
            return
        with self.store.lock:
            routed = {name: self.groups(name) for name in self.services}
        with self.lock:
            dt = 0.0 if self._last_tick is None else max(now - self._last_tick, 0.0)
            self._last_tick = now
            for name, traffic in self.services.items():
                self._serve(traffic, routed[name], traffic.request_rate * dt)
            if now - self._last_sample >= SAMPLE_EVERY or not self.samples:
                self._last_sample = now
                self.samples.append(Sample(now, self._snapshot()))
                while self.samples and now - self.samples[0].at > HISTORY_SECONDS:
                    self.samples.popleft()

    def backfill(self, periods: list[tuple[float, float, dict[str, list[Behavior]]]]) -> None:
        """Synthesize past traffic, one sample a second: (start, end, each service's endpoint
        behaviours). Every service in one pass, so the samples stay in time order.

        A drill then starts with history, like a Prometheus that has been scraping for an hour:
        rates are right from the first query and the pre-release baseline exists.
        """
        with self.lock:
            for start, end, behaviors in periods:
                own = {name: _group(found) for name, found in behaviors.items()}
                groups = {name: self._depend(name, grouped, lambda s, own=own: own.get(s, {}))
                          for name, grouped in own.items()}
                t = start
                while t < end:
                    if self._last_tick is not None:
                        for name, grouped in groups.items():
                            traffic = self.services[name]
                            self._serve(traffic, grouped,
                                        traffic.request_rate * (t - self._last_tick))
                    self._last_tick = t
                    self.samples.append(Sample(t, self._snapshot()))
                    t += SAMPLE_EVERY
            self._last_sample = self._last_tick or 0.0

    def _serve(self, traffic: ServiceTraffic, groups: dict[Behavior, int], requests: float
               ) -> None:
        total = sum(groups.values())
        if not total:
            self._count(traffic, "503", NO_ENDPOINTS, requests, 0.001)
            return
        for behavior, count in groups.items():
            share = requests * count / total
            version = behavior.version or "unknown"
            errors = share * behavior.error_ratio
            self._count(traffic, "500", version, errors, behavior.latency_p95)
            self._count(traffic, "200", version, share - errors, behavior.latency_p95)

    @staticmethod
    def _count(traffic: ServiceTraffic, code: str, version: str, n: float, p95: float) -> None:
        key = (code, version)
        traffic.requests[key] = traffic.requests.get(key, 0.0) + n
        if code == "200":
            # Keep an error series per served version so ratios exist before the first error.
            traffic.requests.setdefault(("500", version), 0.0)
        cumulative = traffic.buckets.setdefault(version, [0.0] * len(BUCKETS))
        for i, le in enumerate(BUCKETS):
            cumulative[i] += n * _exponential_cdf(le, p95)
        traffic.sums[version] = traffic.sums.get(version, 0.0) + n * p95 / math.log(20)
        traffic.counts[version] = traffic.counts.get(version, 0.0) + n

    def _snapshot(self) -> dict[str, dict[str, Any]]:
        return {
            name: {"requests": dict(t.requests), "total": sum(t.requests.values()),
                   "errors": sum(v for (code, _), v in t.requests.items()
                                 if code.startswith("5")),
                   "buckets": [sum(b[i] for b in t.buckets.values()) for i in range(len(BUCKETS))],
                   "count": sum(t.counts.values())}
            for name, t in self.services.items()
        }

    # ---- derived values --------------------------------------------------------------------
    def window(self, service: str, end: float, seconds: float) -> tuple[Sample, Sample] | None:
        """The first and last samples of a window ending at `end` (None: too little data)."""
        with self.lock:
            inside = [s for s in self.samples if end - seconds <= s.at <= end + 1e-6]
        if len(inside) < 2 or service not in inside[-1].values:
            return None
        first = next((s for s in inside if service in s.values), None)
        if first is None or first is inside[-1]:
            return None
        return first, inside[-1]

    def rates(self, service: str, end: float, seconds: float) -> dict[str, float] | None:
        """Request rate, error ratio and p95 latency over a window, as the recording rules do."""
        pair = self.window(service, end, seconds)
        if pair is None:
            return None
        first, last = pair
        a, b = first.values[service], last.values[service]
        span = last.at - first.at
        total = (b["total"] - a["total"]) / span
        errors = (b["errors"] - a["errors"]) / span
        bucket_rates = [(y - x) / span for x, y in zip(a["buckets"], b["buckets"], strict=True)]
        count_rate = (b["count"] - a["count"]) / span
        return {"rate": total, "error_ratio": errors / total if total > 0 else math.nan,
                "p95": histogram_quantile(0.95, bucket_rates, count_rate)}

    def served_version(self, service: str) -> str | None:
        """The version most ready endpoints serve."""
        with self.store.lock:
            groups = self.groups(service)
        counts: dict[str, int] = {}
        for behavior, count in groups.items():
            counts[behavior.version] = counts.get(behavior.version, 0) + count
        return max(counts, key=lambda v: (counts[v], v)) if counts else None

    def exposition(self, service: str) -> str:
        """The service's /metrics in Prometheus text format."""
        traffic = self.services[service]
        with self.lock:
            lines = ["# HELP http_requests_total Requests served, by status code and version.",
                     "# TYPE http_requests_total counter"]
            for (code, version), value in sorted(traffic.requests.items()):
                lines.append(f'http_requests_total{{service="{service}",code="{code}",'
                             f'version="{version}"}} {value:.3f}')
            lines += ["# HELP http_request_duration_seconds Request latency.",
                      "# TYPE http_request_duration_seconds histogram"]
            for version, cumulative in sorted(traffic.buckets.items()):
                labels = f'service="{service}",version="{version}"'
                for le, value in zip(BUCKETS, cumulative, strict=True):
                    lines.append(f'http_request_duration_seconds_bucket{{{labels},le="{le}"}} '
                                 f"{value:.3f}")
                count = traffic.counts.get(version, 0.0)
                lines.append(f'http_request_duration_seconds_bucket{{{labels},le="+Inf"}} '
                             f"{count:.3f}")
                lines.append(f"http_request_duration_seconds_sum{{{labels}}} "
                             f"{traffic.sums.get(version, 0.0):.6f}")
                lines.append(f"http_request_duration_seconds_count{{{labels}}} {count:.3f}")
        return "\n".join(lines) + "\n"


def histogram_quantile(q: float, bucket_rates: list[float], count_rate: float) -> float:
    """Prometheus' histogram_quantile over cumulative bucket rates (linear interpolation)."""
    if count_rate <= 0:
        return math.nan
    rank = q * count_rate
    previous_le, previous_count = 0.0, 0.0
    for le, count in zip(BUCKETS, bucket_rates, strict=True):
        if count >= rank:
            if count == previous_count:
                return le
            return previous_le + (le - previous_le) * (rank - previous_count) / (
                count - previous_count)
        previous_le, previous_count = le, count
    return BUCKETS[-1]
