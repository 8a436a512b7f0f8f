"""What redrawing the metric panel costs: 4 metrics × 30 minutes of 15 s samples (121 points).

Timed: assigning the views (as the screen does after a poll) and then `render_lines` over the
widget's whole outer region, as Textual's compositor calls it after a refresh (content, border,
title, padding, styles), inside a running app (`App.run_test`); the terminal write is not timed.
Each drawing method tried draws the same data at the same outer size (62×16: the right column at
120×40), in the same run:
- braille: `MetricPanel` (Line API, this project's braille area charts with the baseline,
  threshold, rollback mark, axis and summary lines) — full redraw, and after one new sample;
- blocks: `MetricLine` (the compact form: one row per metric, sparkline + summary line);
- textual Sparkline: Textual's built-in widget, one 3-row `Sparkline` per metric (it has no
  threshold, baseline, mark or axis: a floor for what a chart costs in Textual);
- plotext: `textual-plotext` (if installed; not a dependency), one `PlotextPlot` per metric with
  the series, the threshold and baseline as hlines and the mark as a vline.

Target: the braille panel's median and p95 ≤ 16.7 ms (one 60 Hz frame), for the full redraw and
the one-new-sample redraw. Prints JSON; exits 1 on a miss.
"""

from __future__ import annotations

import asyncio
import json
import math
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Sparkline

from tui.domain.metrics import Baseline, Mark, MetricView, metric_view
from tui.domain.runbook import Metric
from widgets.metric_line import MetricLine
from widgets.metric_panel import MetricPanel

FRAME_MS = 1000 / 60
SIZE = (62, 16)
ROUNDS = 300
SLOW_ROUNDS = 40  # plotext takes long enough that fewer rounds give a stable median
STEP, WINDOW = 15.0, 1800.0
NOW = 1_800_000_000.0
METRICS = [
    Metric("error_ratio", "q", "ratio", 0.05, "above_is_bad"),
    Metric("latency_p95", "q", "seconds", 0.5, "above_is_bad"),
    Metric("latency_p99", "q", "seconds", 1.0, "above_is_bad"),
    Metric("request_rate", "q", "req/s", 1.0, "below_is_bad"),
]
CALM = {"error_ratio": 0.002, "latency_p95": 0.14, "latency_p99": 0.3, "request_rate": 40.0}


def value_at(name: str, at: float) -> float:
    """An incident shape: up 22 minutes before NOW, back down from the rollback 6 minutes before."""
    bad = 1.0 if NOW - 22 * 60 <= at < NOW - 6 * 60 else 0.0
    factor = 1 + (20.0 if name == "error_ratio" else 2.0) * bad
    return CALM[name] * factor * (1 + 0.05 * math.sin(at / 97.0))


def views_at(now: float) -> dict[str, MetricView]:
    """The four views a poll at `now` would publish (121 points each)."""
    times = [now - WINDOW + i * STEP for i in range(int(WINDOW / STEP) + 1)]
    return {m.name: metric_view(m, tuple((t, value_at(m.name, t)) for t in times), now=now,
                                baseline=Baseline.from_values("q", 0, 1, [CALM[m.name]]),
                                marks=(Mark(NOW - 6 * 60, "rollback"),), window=WINDOW)
            for m in METRICS}


class Bench(App[None]):
    """One column of the panel's size holding the widgets of one drawing method."""

    CSS = f"Vertical {{ width: {SIZE[0]}; height: {SIZE[1]}; }}"

    def __init__(self, widgets: list[Widget]) -> None:
        super().__init__()
        self.widgets = widgets

    def compose(self) -> ComposeResult:
        with Vertical():
            yield from self.widgets


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"median_ms": round(statistics.median(ordered) * 1000, 3),
            "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 3),
            "rounds": len(ordered)}


async def measure(widgets: list[Widget], update: Callable[[int], None], rounds: int
                  ) -> dict[str, float]:
    """Time update(i) + render_lines of every widget's outer region, `rounds` times."""
    app = Bench(widgets)
    async with app.run_test(size=(SIZE[0] + 2, SIZE[1] + 2)) as pilot:
        await pilot.pause()
        samples = []
        for index in range(rounds + 5):
            started = time.perf_counter()
            update(index)
            for widget in widgets:
                widget.render_lines(Region(0, 0, *widget.outer_size))
            if index >= 5:  # the first rounds warm caches Textual keeps anyway
                samples.append(time.perf_counter() - started)
        assert all(w.outer_size.area for w in widgets), "a widget was not laid out"
    return _stats(samples)


async def braille(sets: list[Mapping[str, MetricView]], moments: list[float]
                  ) -> dict[str, float]:
    """The MetricPanel, fed `sets` in turn, its clock at the matching moment."""
    current = [0]
    panel = MetricPanel(clock=lambda: moments[current[0]])
    panel.styles.height = SIZE[1]

    def update(index: int) -> None:
        current[0] = index % len(sets)
        panel.views = sets[current[0]]
    return await measure([panel], update, ROUNDS)


async def blocks(sets: list[Mapping[str, MetricView]]) -> dict[str, float]:
    """The compact MetricLine."""
    line = MetricLine(clock=lambda: NOW)

    def update(index: int) -> None:
        line.views = sets[index % len(sets)]
    return await measure([line], update, ROUNDS)


async def textual_sparkline(views: Mapping[str, MetricView]) -> dict[str, float]:
    """Textual's Sparkline, one per metric, given the same values."""
    lines = [Sparkline([v for _, v in view.points]) for view in views.values()]
    for line in lines:
        line.styles.height = SIZE[1] // len(lines)

    def update(index: int) -> None:
        for line, view in zip(lines, views.values(), strict=True):
            line.data = [v * (1 + index % 2) for _, v in view.points]  # new data every round
            line.refresh()
    return await measure(lines, update, ROUNDS)


async def plotext(views: Mapping[str, MetricView]) -> dict[str, Any]:
    """textual-plotext, one plot per metric, if it is installed."""
    try:
        from textual_plotext import PlotextPlot
    except ImportError:
        return {"skipped": "textual-plotext is not installed (pip install textual-plotext)"}
    plots = [PlotextPlot() for _ in views]
    for plot in plots:
        plot.styles.height = SIZE[1] // len(plots)

    def update(index: int) -> None:
        for plot, view in zip(plots, views.values(), strict=True):
            plt = plot.plt
            plt.clear_data()
            plt.clear_figure()
            plt.plot([t - NOW for t, _ in view.points], [v for _, v in view.points],
                     marker="braille")
            plt.hline(view.threshold)
            plt.hline(view.baseline.mean if view.baseline else 0.0)
            for mark in view.marks:
                plt.vline(mark.at - NOW)
            plot.refresh()
    return await measure(plots, update, SLOW_ROUNDS)


async def main() -> int:
    """Measure every method; print JSON; 1 if the braille panel misses a frame."""
    full = views_at(NOW)
    results: dict[str, Any] = {"size": f"{SIZE[0]}x{SIZE[1]}", "metrics": len(METRICS),
                               "points_per_metric": len(next(iter(full.values())).points)}
    # A full redraw: the same data, a new mapping each time (nothing of the last one is reused).
    results["braille_full_redraw"] = await braille([dict(full), dict(full)], [NOW, NOW])
    # One new sample: each round the window slides one 15 s step, and the clock with it.
    moments = [NOW + i * STEP for i in range(4)]
    results["braille_one_new_sample"] = await braille([views_at(at) for at in moments],
                                                      moments)
    results["blocks_compact"] = await blocks([dict(full), dict(full)])
    results["textual_sparkline"] = await textual_sparkline(full)
    results["plotext"] = await plotext(full)
    ours = results["braille_full_redraw"]["median_ms"]
    for other in ("textual_sparkline", "plotext"):
        if "median_ms" in results[other]:
            results[f"braille_vs_{other}"] = round(ours / results[other]["median_ms"], 3)
    misses = [f"{key} {stat} {results[key][stat]} ms > {FRAME_MS:.1f} ms"
              for key in ("braille_full_redraw", "braille_one_new_sample")
              for stat in ("median_ms", "p95_ms") if results[key][stat] > FRAME_MS]
    results["target_ms"] = round(FRAME_MS, 1)
    results["ok"] = not misses
    results["misses"] = misses
    print(json.dumps(results, indent=2))
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
