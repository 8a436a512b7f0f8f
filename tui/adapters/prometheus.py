"""The Prometheus HTTP API (async, httpx): instant and range queries, baselines."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Self

import httpx

from tui.adapters.probes import safe_url, ssl_verify
from tui.domain.metrics import DIRECTIONS, Baseline, Verdict, evaluate

# Baselines and verdicts are domain logic; they stay importable from here for older callers.
__all__ = ["DIRECTIONS", "Baseline", "Prometheus", "PrometheusError", "Sample", "Series",
           "Verdict", "evaluate"]

TOKEN_ENV = "ROLLBACK_PROMETHEUS_TOKEN"
USER_ENV = "ROLLBACK_PROMETHEUS_USER"
PASSWORD_ENV = "ROLLBACK_PROMETHEUS_PASSWORD"
CA_FILE_ENV = "ROLLBACK_PROMETHEUS_CA_FILE"
_LONG_QUERY = 1500  # characters: longer expressions go in a POST body, past URL-length limits


class PrometheusError(Exception):
    """A query failed; the message says where and why (and Prometheus' own words, if any)."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None,
                 error_type: str | None = None) -> None:
        """Keep the HTTP status and Prometheus' errorType for callers that branch on them."""
        super().__init__(message)
        self.url, self.status, self.error_type = url, status, error_type


@dataclass(frozen=True, slots=True)
class Sample:
    """One value of an instant vector (or a scalar, with no labels)."""

    labels: dict[str, str]
    value: float
    timestamp: float


@dataclass(frozen=True, slots=True)
class Series:
    """One series of a range query: (timestamp, value) points in time order."""

    labels: dict[str, str]
    points: list[tuple[float, float]] = field(default_factory=list)


def _epoch(when: float | datetime) -> float:
    return when.timestamp() if isinstance(when, datetime) else float(when)


def _number(text: Any) -> float:
    # Prometheus sends values as strings: "0.15", "NaN", "+Inf", "-Inf"; float() reads them all.
    return float(text)


class Prometheus:
    """A client of one Prometheus (or compatible) query API; credentials from the environment."""

    def __init__(self, url: str, *, timeout: float = 10.0, verify: bool | str = True,
                 environ: Mapping[str, str] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        """Prepare the client; no request is made until the first query."""
        env = os.environ if environ is None else environ
        self.url = url.rstrip("/")
        self.shown_url = safe_url(self.url)
        self.timeout = timeout
        if verify is True and env.get(CA_FILE_ENV):
            verify = env[CA_FILE_ENV]
        self.ca_file = verify if isinstance(verify, str) else None
        try:
            tls = ssl_verify(verify)
        except OSError as exc:
            raise PrometheusError(f"CA file {verify} for {self.shown_url}: {exc.strerror or exc}",
                                  url=self.shown_url) from None
        headers = {"Accept": "application/json"}
        auth: httpx.BasicAuth | None = None
        if env.get(TOKEN_ENV):
            headers["Authorization"] = f"Bearer {env[TOKEN_ENV]}"
        elif env.get(USER_ENV):
            auth = httpx.BasicAuth(env[USER_ENV], env.get(PASSWORD_ENV, ""))
        self.authenticated = "Authorization" in headers or auth is not None
        try:
            self._client = httpx.AsyncClient(base_url=self.url + "/", headers=headers,
                                             auth=auth, timeout=timeout, verify=tls,
                                             transport=transport)
        except (httpx.InvalidURL, ValueError) as exc:
            raise PrometheusError(f"not a Prometheus URL: {self.shown_url!r} ({exc})",
                                  url=self.shown_url) from None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def _call(self, path: str, params: dict[str, str], what: str) -> Any:
        """GET (or POST, for long queries) an API path; return the `data` of a success answer."""
        try:
            if len(params.get("query", "")) > _LONG_QUERY:
                response = await self._client.post(path, data=params)
            else:
                response = await self._client.get(path, params=params)
        except httpx.TimeoutException:
            raise PrometheusError(f"Prometheus at {self.shown_url} did not answer {what} within "
                                  f"{self.timeout:g}s", url=self.shown_url) from None
        except httpx.ConnectError as exc:
            hint = ""
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                hint = f" (give its CA bundle in {CA_FILE_ENV})"
            raise PrometheusError(f"cannot reach Prometheus at {self.shown_url}: {exc}{hint}",
                                  url=self.shown_url) from None
        except httpx.HTTPError as exc:
            raise PrometheusError(f"Prometheus at {self.shown_url} failed {what}: "
                                  f"{exc or type(exc).__name__}", url=self.shown_url) from None
        return self._data(response, what)

    def _data(self, response: httpx.Response, what: str) -> Any:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            kind = response.headers.get("content-type", "no content type")
            excerpt = " ".join(response.text[:160].split())
            if 200 <= status < 300:
                raise PrometheusError(
                    f"Prometheus at {self.shown_url} answered {what} with something that is not "
                    f"its JSON ({kind}): {excerpt!r} — is the URL the Prometheus API root?",
                    url=self.shown_url, status=status)
            body = {"error": excerpt or response.reason_phrase}
        if status < 300 and body.get("status") == "success":
            data = body.get("data")
            if not isinstance(data, dict):
                raise PrometheusError(f"Prometheus at {self.shown_url} answered {what} without "
                                      "a data object", url=self.shown_url, status=status)
            return data
        error_type, error = body.get("errorType"), body.get("error") or "no error message"
        kind_text = f" ({error_type})" if error_type else ""
        hint = ""
        if status in (401, 403):
            hint = (f" — check {TOKEN_ENV} or {USER_ENV}/{PASSWORD_ENV}"
                    if self.authenticated else f" — set {TOKEN_ENV} or {USER_ENV}/{PASSWORD_ENV}")
        elif 300 <= status < 400:
            hint = f" — redirected to {response.headers.get('location', '?')}; fix the URL"
        raise PrometheusError(
            f"Prometheus at {self.shown_url} refused {what}: HTTP {status}{kind_text}: "
            f"{error}{hint}", url=self.shown_url, status=status, error_type=error_type)

    async def query(self, expr: str, at: float | datetime | None = None) -> list[Sample]:
        """Evaluate `expr` at `at` (default: now); a scalar comes back as one unlabelled Sample."""
        params = {"query": expr, "timeout": f"{self.timeout:g}"}
        if at is not None:
            params["time"] = repr(_epoch(at))
        data = await self._call("api/v1/query", params, f"the query {expr!r}")
        kind, result = data.get("resultType"), data.get("result")
        try:
            if kind == "vector":
                return [Sample(dict(item.get("metric") or {}), _number(item["value"][1]),
                               float(item["value"][0])) for item in result]
            if kind == "scalar":
                return [Sample({}, _number(result[1]), float(result[0]))]
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise self._malformed(expr, exc) from None
        raise PrometheusError(f"the query {expr!r} gave a {kind} result; an instant check needs "
                              "a vector or scalar (for a range vector use query_range)",
                              url=self.shown_url)

    async def query_one(self, expr: str, at: float | datetime | None = None) -> Sample:
        """The single sample `expr` gives; PrometheusError if it gives none or several."""
        samples = await self.query(expr, at)
        if not samples:
            raise PrometheusError(f"no data for {expr!r} at {self.shown_url}: is the series "
                                  "recorded (recording rules loaded, target scraped)?",
                                  url=self.shown_url)
        if len(samples) > 1:
            raise PrometheusError(f"{expr!r} returned {len(samples)} series at "
                                  f"{self.shown_url}; narrow it with label matchers",
                                  url=self.shown_url)
        return samples[0]

    async def query_range(self, expr: str, start: float | datetime, end: float | datetime,
                          step: float) -> list[Series]:
        """Evaluate `expr` every `step` seconds from `start` to `end`."""
        params = {"query": expr, "start": repr(_epoch(start)), "end": repr(_epoch(end)),
                  "step": f"{step:g}", "timeout": f"{self.timeout:g}"}
        data = await self._call("api/v1/query_range", params, f"the range query {expr!r}")
        if data.get("resultType") != "matrix":
            raise PrometheusError(f"the range query {expr!r} gave a {data.get('resultType')} "
                                  "result, expected a matrix", url=self.shown_url)
        try:
            return [Series(dict(item.get("metric") or {}),
                           [(float(t), _number(v)) for t, v in item.get("values") or []])
                    for item in data["result"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise self._malformed(expr, exc) from None

    def _malformed(self, expr: str, exc: Exception) -> PrometheusError:
        return PrometheusError(f"Prometheus at {self.shown_url} answered {expr!r} with a result "
                               f"this client cannot read ({type(exc).__name__}: {exc})",
                               url=self.shown_url)

    async def build_info(self) -> dict[str, Any]:
        """The server's version, revision and build details."""
        data = await self._call("api/v1/status/buildinfo", {}, "the build-info request")
        return dict(data)

    async def baseline(self, expr: str, end: float | datetime, window: float = 3600,
                       step: float = 60) -> Baseline:
        """Summarise `expr` over the `window` seconds before `end` (e.g. before the release)."""
        stop = _epoch(end)
        series = await self.query_range(expr, stop - window, stop, step)
        if len(series) > 1:
            labels = ", ".join(str(s.labels) for s in series[:3])
            raise PrometheusError(f"the baseline query {expr!r} returned {len(series)} series "
                                  f"({labels}…); narrow it to one with label matchers",
                                  url=self.shown_url)
        values = [v for s in series for _, v in s.points if math.isfinite(v)]
        if not values:
            raise PrometheusError(f"no data for {expr!r} in the {window:g}s before "
                                  f"{datetime.fromtimestamp(stop).isoformat(timespec='seconds')}"
                                  " — no baseline (was the series recorded then?)",
                                  url=self.shown_url)
        return Baseline.from_values(expr, stop - window, stop, values)
