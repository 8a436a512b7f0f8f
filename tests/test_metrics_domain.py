"""Metric values for people, trends, verdicts and a panel's summary line (pure domain)."""

from __future__ import annotations

import math

import pytest

from tui.domain.metrics import (
    Baseline,
    Mark,
    MetricStatus,
    Severity,
    Trend,
    evaluate,
    format_age,
    format_setting,
    format_value,
    metric_view,
    summary_line,
    trend_of,
)
from tui.domain.runbook import Metric

ERROR = Metric("error", "ratio_query", "ratio", 0.05, "above_is_bad", "5xx share")
P95 = Metric("p95", "p95_query", "seconds", 0.5, "above_is_bad")
RATE = Metric("rate", "rate_query", "req/s", 1.0, "below_is_bad")
NOW = 1_800_000_000.0
ERROR_BASELINE = Baseline.from_values("ratio_query", NOW - 7200, NOW - 3600, [0.002] * 60)


@pytest.mark.parametrize(("value", "unit", "shown"), [
    (0.031, "ratio", "3.1 %"),
    (0.0042, "ratio", "0.42 %"),
    (0.12, "ratio", "12.0 %"),
    (0.002, "ratio", "0.2 %"),
    (0.000012, "ratio", "0.0012 %"),
    (0.0, "ratio", "0 %"),
    (1.0, "ratio", "100.0 %"),
    (0.41, "seconds", "410 ms"),
    (1.2, "seconds", "1.2 s"),
    (0.9996, "seconds", "1.0 s"),
    (42.4, "seconds", "42 s"),
    (0.0004, "seconds", "0.4 ms"),
    (40.0, "req/s", "40 req/s"),
    (2.54, "req/s", "2.5 req/s"),
    (0.25, "req/s", "0.25 req/s"),
    (12345.6, "bytes", "12,346 bytes"),
    (3.0, "", "3.0"),
    (-0.5, "ratio", "-50.0 %"),
    (math.nan, "ratio", "no data"),
    (None, "seconds", "no data"),
    (math.inf, "seconds", "∞"),
])
def test_format_value_for_people(value: float | None, unit: str, shown: str) -> None:
    assert format_value(value, unit) == shown


def test_thresholds_read_as_written() -> None:
    assert format_setting(0.05, "ratio") == "5 %"
    assert format_setting(0.025, "ratio") == "2.5 %"
    assert format_setting(0.5, "seconds") == "500 ms"
    assert format_setting(2.0, "seconds") == "2 s"
    assert format_setting(1.0, "req/s") == "1 req/s"
    assert format_setting(100.0, "") == "100"


def _points(*values: float, every: float = 15.0) -> tuple[tuple[float, float], ...]:
    start = NOW - every * (len(values) - 1)
    return tuple((start + i * every, v) for i, v in enumerate(values))


def test_trend_compares_with_about_a_minute_ago() -> None:
    assert trend_of(_points(0.002, 0.01, 0.05, 0.09, 0.12), threshold=0.05) is Trend.RISING
    assert trend_of(_points(0.12, 0.12, 0.09, 0.03, 0.01), threshold=0.05) is Trend.FALLING
    # Within 5 % of the values: noise, not a trend.
    assert trend_of(_points(40.0, 41.0, 39.5, 40.5, 41.0), threshold=1.0) is Trend.FLAT
    # Only the value a minute back counts, not other swings (points 15 s apart: index 1).
    assert trend_of(_points(0.9, 0.12, 0.5, 0.3, 0.3, 0.12), threshold=0.05) is Trend.FLAT
    # Near zero, changes within 1 % of the threshold are flat too.
    assert trend_of(_points(0.0019, 0.002, 0.0021, 0.0022, 0.0023), threshold=0.05) is Trend.FLAT


def test_trend_edge_cases() -> None:
    assert trend_of((), threshold=0.05) is Trend.UNKNOWN
    assert trend_of(_points(0.1), threshold=0.05) is Trend.UNKNOWN
    assert trend_of(_points(math.nan, 0.1), threshold=0.05) is Trend.UNKNOWN
    assert trend_of(_points(0.1, math.nan), threshold=0.05) is Trend.UNKNOWN
    # Less than a minute of data: the oldest point is the reference.
    assert trend_of(_points(0.0, 0.2, every=5.0), threshold=0.05) is Trend.RISING
    assert trend_of(_points(0.0, 0.0), threshold=0.0) is Trend.FLAT
    assert [t.marker for t in Trend] == ["▲", "▼", "▬", ""]


def test_summary_line_ok_and_bad() -> None:
    falling = metric_view(ERROR, _points(0.12, 0.09, 0.06, 0.04, 0.031), now=NOW,
                          baseline=ERROR_BASELINE)
    assert summary_line(falling) == (
        "error 3.1 % ▼ (baseline 0.2 %, threshold 5 %) ✓", Severity.OK)
    rising = metric_view(ERROR, _points(0.002, 0.002, 0.05, 0.1, 0.12), now=NOW,
                         baseline=ERROR_BASELINE)
    assert summary_line(rising) == (
        "error 12.0 % ▲ (baseline 0.2 %, threshold 5 %) ✗", Severity.BAD)
    assert rising.status is MetricStatus.BAD and rising.current == 0.12
    assert rising.verdict == "error 0.120 > threshold 0.050 (baseline 0.002, 60× baseline)"
    assert summary_line(rising, label="5xx").text.startswith("5xx 12.0 %")


def test_summary_line_when_stale_shows_the_age() -> None:
    points = _points(0.04, 0.04, 0.04, 0.04, 0.04)
    view = metric_view(ERROR, points, now=NOW + 42, baseline=ERROR_BASELINE,
                       stale_since=NOW + 5, last_error="cannot reach Prometheus at http://p",
                       retry_at=NOW + 50)
    assert view.stale and view.age == 42 and view.stale_since == NOW + 5
    assert summary_line(view) == (
        "error 4.0 % ▬ (baseline 0.2 %, threshold 5 %) ✓ STALE 42s", Severity.WARNING)
    # A front end ticking every second recomputes the age from the newest sample.
    assert summary_line(view, now=NOW + 185).text.endswith("STALE 3m")
    # Stale but bad stays bad: the last thing known is that it was failing.
    bad = metric_view(ERROR, _points(0.2), now=NOW + 10, stale_since=NOW + 5, last_error="x")
    assert summary_line(bad) == ("error 20.0 % (no baseline, threshold 5 %) ✗ STALE 10s",
                                 Severity.BAD)
    never = metric_view(ERROR, (), now=NOW, stale_since=NOW, last_error="refused")
    assert summary_line(never) == ("error no data (no baseline, threshold 5 %) ◌ STALE",
                                   Severity.WARNING)
    assert never.verdict == "error has no data: refused"


def test_views_of_nan_and_missing_data_are_unknown() -> None:
    nan = metric_view(ERROR, _points(0.01, math.nan), now=NOW)
    assert nan.status is MetricStatus.UNKNOWN and math.isnan(nan.current)
    assert "NaN" in nan.verdict
    assert summary_line(nan) == ("error no data (no baseline, threshold 5 %) ◌",
                                 Severity.UNKNOWN)
    empty = metric_view(ERROR, (), now=NOW)
    assert empty.current is None and empty.updated_at is None and empty.age is None
    assert empty.status is MetricStatus.UNKNOWN and empty.verdict == "error has no data yet"


def test_below_is_bad_and_zero_baseline_views() -> None:
    low = metric_view(RATE, _points(40.0, 30.0, 20.0, 5.0, 0.5), now=NOW,
                      baseline=Baseline.from_values("rate_query", 0, 1, [40.0]))
    assert low.status is MetricStatus.BAD and low.trend is Trend.FALLING
    assert summary_line(low).text == (
        "rate 0.5 req/s ▼ (baseline 40 req/s, threshold 1 req/s) ✗")
    zero = Baseline.from_values("ratio_query", 0, 1, [0.0, 0.0])
    calm = metric_view(ERROR, _points(0.0, 0.001), now=NOW, baseline=zero, tolerance=1.5)
    assert calm.status is MetricStatus.OK and "zero baseline" in calm.verdict
    # From 0 to 0.1 % is a rise: 1 % of the threshold is the noise floor near zero.
    assert summary_line(calm).text == "error 0.1 % ▲ (baseline 0 %, threshold 5 %) ✓"
    over = metric_view(P95, _points(0.11, 0.3), now=NOW,
                       baseline=Baseline.from_values("p95_query", 0, 1, [0.1]), tolerance=1.5)
    assert over.status is MetricStatus.BAD and "over the 1.5× tolerance" in over.verdict
    assert summary_line(over).text == (
        "p95 300 ms ▲ (baseline 100 ms, threshold 500 ms) ✗")


def test_view_keeps_the_points_it_was_given_and_the_marks_in_its_window() -> None:
    points = _points(0.1, 0.1, 0.1)
    marks = (Mark(NOW - 4000, "deploy 2.4.0"), Mark(NOW - 20, "rollback started"))
    view = metric_view(ERROR, points, now=NOW, marks=marks, window=1800)
    assert view.points is points  # not copied: views are built on every poll
    assert view.marks == (Mark(NOW - 20, "rollback started"),)
    assert view.description == "5xx share" and view.threshold == 0.05
    assert not view.stale and view.last_error is None and view.updated_at == NOW


def test_format_age() -> None:
    assert [format_age(s) for s in (0, 42.9, 60, 3725, -3)] == ["0s", "42s", "1m", "1h 02m",
                                                                  "0s"]


def test_evaluate_never_judges_nan_good_in_either_direction() -> None:
    for direction in ("above_is_bad", "below_is_bad"):
        assert not evaluate(math.nan, threshold=0.05, direction=direction).ok
    assert evaluate(-math.inf, threshold=1.0, direction="above_is_bad").ok
    assert not evaluate(-math.inf, threshold=1.0, direction="below_is_bad").ok
