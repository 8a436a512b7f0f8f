"""Metric judgement and display: baselines, verdicts, values for people, one panel's view."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from tui.domain.assessment import format_duration
from tui.domain.runbook import Metric

DIRECTIONS = ("above_is_bad", "below_is_bad")
TREND_LOOKBACK = 60.0  # seconds: the trend compares the newest value with one about this old
Point = tuple[float, float]  # (epoch seconds, value)


def _quantile(ordered: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True, slots=True)
class Baseline:
    """What a metric looked like over a window (the pre-release normal), as journaled."""

    expr: str
    start: float
    end: float
    mean: float
    p50: float
    p95: float
    max: float
    samples: int

    @classmethod
    def from_values(cls, expr: str, start: float, end: float, values: list[float]) -> Baseline:
        """Summarise finite values (at least one)."""
        ordered = sorted(values)
        return cls(expr, start, end, sum(ordered) / len(ordered), _quantile(ordered, 0.5),
                   _quantile(ordered, 0.95), ordered[-1], len(ordered))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict for the journal."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Baseline:
        """Rebuild a journaled baseline; ValueError names a missing or malformed field."""
        try:
            return cls(str(data["expr"]), *(float(data[k]) for k in
                                            ("start", "end", "mean", "p50", "p95", "max")),
                       int(data["samples"]))
        except KeyError as exc:
            raise ValueError(f"baseline record lacks the field {exc.args[0]!r}") from None
        except (TypeError, ValueError) as exc:
            raise ValueError(f"baseline record has a malformed field: {exc}") from None


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a metric value is acceptable, and the sentence that says why."""

    ok: bool
    message: str


def _fmt(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if value != 0 and abs(value) < 0.001:
        return f"{value:.2g}"
    return f"{value:.1f}" if abs(value) >= 1000 else f"{value:.3f}"


def _times(ratio: float) -> str:
    if not math.isfinite(ratio):
        return "∞×"
    return f"{ratio:.0f}×" if ratio >= 10 else f"{ratio:.2g}×"


def evaluate(value: float, *, metric: Metric | None = None, threshold: float | None = None,
             direction: str | None = None, baseline: Baseline | None = None,
             tolerance: float | None = None, name: str | None = None) -> Verdict:
    """Judge a current value against a threshold and the baseline mean times `tolerance`.

    The metric supplies name, threshold and direction unless given; direction defaults to
    above_is_bad. A NaN value (no data, e.g. no requests) is never ok.
    """
    label = name or (metric.name if metric else "value")
    if threshold is None and metric is not None:
        threshold = metric.threshold
    direction = direction or (metric.direction if metric else "above_is_bad")
    if direction not in DIRECTIONS:
        raise ValueError(f"direction {direction!r}: expected one of {', '.join(DIRECTIONS)}")
    above = direction == "above_is_bad"
    if math.isnan(value):
        return Verdict(False, f"{label} has no value (NaN: no data in the window, e.g. no "
                       "requests), so it cannot be judged good")
    ok, parts = True, [f"{label} {_fmt(value)}"]
    if threshold is not None:
        bad = value > threshold if above else value < threshold
        ok = not bad
        sign = (">" if bad else "≤") if above else ("<" if bad else "≥")
        parts[0] += f" {sign} threshold {_fmt(threshold)}"
    notes: list[str] = []
    if baseline is not None:
        notes.append(f"baseline {_fmt(baseline.mean)}")
        if baseline.mean != 0:
            notes.append(f"{_times(value / baseline.mean)} baseline")
        if tolerance is not None and baseline.mean == 0:
            # A zero baseline times any tolerance is zero: every non-zero value would fail.
            notes.append("a zero baseline cannot be scaled; judged by the threshold")
        elif tolerance is not None:
            limit = tolerance * baseline.mean
            beyond = value > limit if above else value < limit
            if beyond:
                ok = False
                notes.append(f"{'over' if above else 'under'} the {tolerance:g}× tolerance")
            else:
                notes.append(f"within the {tolerance:g}× tolerance")
    elif tolerance is not None:
        notes.append("no baseline to compare with")
    if threshold is None and (baseline is None or tolerance is None):
        notes.append("nothing to judge it by: no threshold or baseline tolerance")
    return Verdict(ok, parts[0] + (f" ({', '.join(notes)})" if notes else ""))


# ---- values for people ------------------------------------------------------------------------


def _significant(number: float) -> str:
    """At most two significant digits for small numbers (`0.42`, `0.2`, `0.0012`), no exponent."""
    if number == 0:
        return "0"
    digits = max(1 - math.floor(math.log10(abs(number))), 0)
    text = f"{number:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_value(value: float | None, unit: str) -> str:
    """A measured value as people read it: `3.1 %`, `0.42 %`, `410 ms`, `1.2 s`, `40 req/s`."""
    if value is None or math.isnan(value):
        return "no data"
    if math.isinf(value):
        return "-∞" if value < 0 else "∞"
    size = abs(value)
    if unit == "ratio":
        percent = value * 100
        return f"{percent:.1f} %" if abs(percent) >= 1 else f"{_significant(percent)} %"
    if unit == "seconds":
        if size >= 0.9995:
            return f"{value:.1f} s" if size < 9.95 else f"{value:.0f} s"
        millis = value * 1000
        return f"{millis:.0f} ms" if abs(millis) >= 1 else f"{_significant(millis)} ms"
    if size >= 1000:
        number = f"{value:,.0f}"
    elif size >= 10:
        number = f"{value:.0f}"
    elif size >= 1:
        number = f"{value:.1f}"
    else:
        number = _significant(value)
    return f"{number} {unit}".rstrip()


def format_setting(value: float, unit: str) -> str:
    """A configured number (a threshold) as written, without padding: `5 %`, `500 ms`, `1 s`."""
    if not math.isfinite(value):
        return format_value(value, unit)
    if unit == "ratio":
        return f"{value * 100:.3g} %"
    if unit == "seconds":
        return f"{value * 1000:.3g} ms" if abs(value) < 1 else f"{value:.3g} s"
    return f"{value:.6g} {unit}".rstrip()


# ---- one metric panel -------------------------------------------------------------------------


class MetricStatus(StrEnum):
    """The verdict on the newest value: acceptable, not, or not judgeable (no data)."""

    OK = "ok"
    BAD = "bad"
    UNKNOWN = "unknown"

    @property
    def symbol(self) -> str:
        """✓, ✗ or ◌: the same meaning without colour."""
        return {"ok": "✓", "bad": "✗", "unknown": "◌"}[self.value]


class Trend(StrEnum):
    """Where the value is heading compared with about a minute ago."""

    RISING = "rising"
    FALLING = "falling"
    FLAT = "flat"
    UNKNOWN = "unknown"

    @property
    def marker(self) -> str:
        """▲, ▼ or ▬ (nothing when unknown)."""
        return {"rising": "▲", "falling": "▼", "flat": "▬", "unknown": ""}[self.value]


class Severity(StrEnum):
    """How a panel line should stand out; front ends map it to a style class."""

    OK = "ok"
    WARNING = "warning"
    BAD = "bad"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Mark:
    """A moment worth drawing on the chart (`rollback started`)."""

    at: float
    label: str


@dataclass(frozen=True, slots=True)
class MetricView:
    """What one metric panel shows, built once per poll."""

    name: str
    description: str
    unit: str
    threshold: float
    direction: str
    baseline: Baseline | None
    points: tuple[Point, ...]  # over the window, oldest first
    current: float | None  # None: no sample yet; NaN: Prometheus answered NaN
    status: MetricStatus
    verdict: str  # the sentence behind the status
    trend: Trend
    stale: bool
    stale_since: float | None  # epoch of the first failed poll of this outage
    age: float | None  # seconds between the newest sample and when the view was built
    last_error: str | None
    updated_at: float | None  # epoch of the newest sample
    marks: tuple[Mark, ...] = ()
    retry_at: float | None = None  # epoch of the next attempt while stale
    window: float = 1800.0


def trend_of(points: tuple[Point, ...], *, threshold: float = 0.0,
             lookback: float = TREND_LOOKBACK) -> Trend:
    """Rising, falling or flat: the newest value against the one `lookback` seconds before.

    Changes within 5 % of the values, or within 1 % of the threshold, count as flat, so noise
    around a near-zero baseline does not flicker.
    """
    if len(points) < 2:
        return Trend.UNKNOWN
    newest_at, newest = points[-1]
    index = bisect_right(points, newest_at - lookback, key=lambda p: p[0]) - 1
    _, older = points[max(index, 0)]
    if not (math.isfinite(newest) and math.isfinite(older)):
        return Trend.UNKNOWN
    change = newest - older
    if abs(change) <= max(0.05 * max(abs(newest), abs(older)), 0.01 * abs(threshold)):
        return Trend.FLAT
    return Trend.RISING if change > 0 else Trend.FALLING


def metric_view(metric: Metric, points: tuple[Point, ...], *, now: float,
                baseline: Baseline | None = None, tolerance: float | None = None,
                stale_since: float | None = None, last_error: str | None = None,
                marks: tuple[Mark, ...] = (), retry_at: float | None = None,
                window: float = 1800.0) -> MetricView:
    """Judge the newest point and assemble the panel's view (the points are not copied)."""
    updated_at, current = points[-1] if points else (None, None)
    if current is None:
        status, verdict = MetricStatus.UNKNOWN, f"{metric.name} has no data yet"
        if last_error:
            verdict = f"{metric.name} has no data: {last_error}"
    else:
        judged = evaluate(current, metric=metric, baseline=baseline, tolerance=tolerance)
        status = MetricStatus.UNKNOWN if math.isnan(current) else (
            MetricStatus.OK if judged.ok else MetricStatus.BAD)
        verdict = judged.message
    return MetricView(
        name=metric.name, description=metric.description, unit=metric.unit,
        threshold=metric.threshold, direction=metric.direction, baseline=baseline,
        points=points, current=current, status=status, verdict=verdict,
        trend=trend_of(points, threshold=metric.threshold), stale=stale_since is not None,
        stale_since=stale_since, age=None if updated_at is None else max(now - updated_at, 0.0),
        last_error=last_error, updated_at=updated_at,
        marks=tuple(m for m in marks if m.at >= now - window), retry_at=retry_at,
        window=window)


class Summary(NamedTuple):
    """A panel's one-line summary and how it should stand out."""

    text: str
    severity: Severity


def summary_line(view: MetricView, *, label: str | None = None, now: float | None = None
                 ) -> Summary:
    """`error 3.1 % ▼ (baseline 0.2 %, threshold 5 %) ✓`, with `STALE 42s` when stale.

    `now` recomputes the age (a front end ticking once a second); else the view's age counts.
    """
    value = format_value(view.current, view.unit)
    head = f"{label or view.name} {value}"
    if view.trend.marker:
        head += f" {view.trend.marker}"
    reference = (f"baseline {format_value(view.baseline.mean, view.unit)}"
                 if view.baseline is not None else "no baseline")
    text = (f"{head} ({reference}, threshold {format_setting(view.threshold, view.unit)}) "
            f"{view.status.symbol}")
    if view.status is MetricStatus.BAD:
        severity = Severity.BAD
    elif view.stale:
        severity = Severity.WARNING
    else:
        severity = Severity.OK if view.status is MetricStatus.OK else Severity.UNKNOWN
    if view.stale:
        age = view.age if now is None or view.updated_at is None else now - view.updated_at
        text += " STALE" + (f" {format_age(age)}" if age is not None else "")
    return Summary(text, severity)


def format_age(seconds: float) -> str:
    """`42s`, `3m`, `1h 05m`: how long ago, truncated."""
    return format_duration(timedelta(seconds=max(int(seconds), 0)))
