"""A Prometheus-compatible query API for the recording-rule series the runbooks use."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from tui.domain.durations import parse_duration
from tui.drill.faults import Faults
from tui.drill.httpserver import Request, Response, json_response
from tui.drill.traffic import Traffic

WINDOW = 300.0
SERIES: dict[str, str] = {
    "service:http_requests:rate5m": "rate",
    "service:http_requests_errors:ratio_rate5m": "error_ratio",
    "service:http_request_duration_seconds:p95_5m": "p95",
}
_SELECTOR = re.compile(
    r'^\s*(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\s*'
    r'(?:\{\s*(?:service\s*=\s*"(?P<service>[^"\\]*)"\s*,?\s*)?\})?\s*$')
SUPPORTED = ", ".join(f'{name}{{service="NAME"}}' for name in SERIES)


def _error(status: int, error_type: str, message: str) -> Response:
    return json_response(status, {"status": "error", "errorType": error_type, "error": message})


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return repr(round(value, 12))


def _parse_step(text: str) -> float:
    """A step in seconds (`15`, `15.5`) or as a Prometheus duration (`1m`, `30s`)."""
    try:
        return float(text)
    except ValueError:
        return parse_duration(text)


def _parse_time(text: str | None, default: float) -> float:
    if text is None or text == "":
        return default
    try:
        return float(text)
    except ValueError:
        from datetime import datetime

        return datetime.fromisoformat(text).timestamp()


class PrometheusAPI:
    """Answers /api/v1/query, /api/v1/query_range and /api/v1/status/buildinfo."""

    def __init__(self, traffic: Traffic, faults: Faults, now: Callable[[], float] = time.time,
                 speed: float = 1.0) -> None:
        self.traffic, self.faults, self.now = traffic, faults, now
        # The [5m] of the recording rules is scenario time: a drill at speed 20 settles after a
        # rollback in 15 real seconds, as its pods do. History stays in real time.
        self.window = max(WINDOW / speed, 2.0)

    def route(self, request: Request, subpath: str) -> Response:
        """Handle a request whose path below the API prefix is `subpath`."""
        if self.faults.metrics_down:
            return _error(503, "unavailable", "metrics API down (injected fault metrics-down)")
        params = dict(request.query)
        if request.method == "POST" and request.body:
            form = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
            params.update({k: v[-1] for k, v in form.items()})
        if subpath == "/api/v1/status/buildinfo":
            return json_response(200, {"status": "success", "data": {
                "version": "2.45.0-drill", "revision": "drill", "branch": "drill",
                "buildUser": "rollback-tui", "buildDate": "20261130-00:00:00",
                "goVersion": "go1.23.0"}})
        if subpath not in ("/api/v1/query", "/api/v1/query_range"):
            return _error(404, "not_found", f"no such endpoint {subpath}")
        query = params.get("query")
        if not query:
            return _error(400, "bad_data", 'invalid parameter "query": parameter is missing')
        match = _SELECTOR.match(query)
        if match is None or match.group("name") not in SERIES:
            return _error(400, "bad_data", f"invalid parameter \"query\": the drill's query API "
                          f"answers only the recording-rule series {SUPPORTED}; got {query!r}")
        name, service = match.group("name"), match.group("service")
        services = [service] if service else sorted(self.traffic.services)
        services = [s for s in services if s in self.traffic.services]
        try:
            if subpath == "/api/v1/query":
                at = _parse_time(params.get("time"), self.now())
                return self._vector(name, services, at)
            start = _parse_time(params.get("start"), math.nan)
            end = _parse_time(params.get("end"), math.nan)
            step = _parse_step(params.get("step", "nan"))
        except ValueError as exc:
            return _error(400, "bad_data", f"invalid time parameter: {exc}")
        if math.isnan(start) or math.isnan(end) or not step > 0 or end < start:
            return _error(400, "bad_data", "invalid parameter: start, end and a positive step "
                          "are required, with end ≥ start")
        if (end - start) / step > 11000:
            return _error(400, "bad_data", "exceeded maximum resolution of 11,000 points per "
                          "timeseries. Try decreasing the query resolution (?step=XX)")
        return self._matrix(name, services, start, end, step)

    def _value(self, name: str, service: str, at: float) -> float | None:
        rates = self.traffic.rates(service, at, self.window)
        if rates is None:
            return None
        value = rates[SERIES[name]]
        # A 0/0 ratio (no requests) is NaN, as Prometheus answers it.
        return value

    def _vector(self, name: str, services: list[str], at: float) -> Response:
        result = []
        for service in services:
            value = self._value(name, service, at)
            if value is not None:
                result.append({"metric": {"__name__": name, "service": service},
                               "value": [at, _number(value)]})
        return json_response(200, {"status": "success",
                                   "data": {"resultType": "vector", "result": result}})

    def _matrix(self, name: str, services: list[str], start: float, end: float, step: float
                ) -> Response:
        result = []
        for service in services:
            values = []
            t = start
            while t <= end + 1e-9:
                value = self._value(name, service, t)
                if value is not None:
                    values.append([t, _number(value)])
                t += step
            if values:
                result.append({"metric": {"__name__": name, "service": service},
                               "values": values})
        return json_response(200, {"status": "success",
                                   "data": {"resultType": "matrix", "result": result}})


def supported_series() -> tuple[str, ...]:
    """Names of the series the drill answers."""
    return tuple(SERIES)


def describe() -> dict[str, Any]:
    """What the API answers (for `rollback drill --list`)."""
    return {"series": list(SERIES), "window_seconds": WINDOW}
