"""The metric panel and metric line: pure drawing, layouts at every size, snapshots of the drill's
bad-release incident (live and stale, dark and light), hostile text, and the window keys."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.geometry import Region
from textual.widgets import Static

from tui.domain.metrics import Baseline, Mark, MetricView, metric_view
from tui.domain.runbook import Metric
from widgets.metric_chart import (
    ChartSpec,
    Role,
    Scale,
    axis_line,
    chart_lines,
    column_values,
    nice_ceiling,
    scale_for,
    sparkline,
)
from widgets.metric_layout import gutter_labels, panel_lines, plan, short_labels, summary
from widgets.metric_line import MetricLine
from widgets.metric_panel import MetricPanel, next_window

NOW = 1_800_000_000.0
RELEASE = NOW - 22 * 60
ROLLBACK = NOW - 4 * 60
METRICS = (
    Metric("error_ratio", "q", "ratio", 0.05, "above_is_bad",
           "Share of requests answered with a 5xx"),
    Metric("latency_p95", "q", "seconds", 0.5, "above_is_bad", "95th percentile request latency"),
    Metric("request_rate", "q", "req/s", 1.0, "below_is_bad", "Requests per second served"),
)
# (before the release, while 2.4.0 serves): the drill's bad-release numbers
LEVELS = {"error_ratio": (0.002, 0.12), "latency_p95": (0.14, 0.45), "request_rate": (40.0, 40.0)}
OUTAGE_ERROR = ("Prometheus at http://127.0.0.1:9090 did not answer: connection refused — "
                "showing the last values and retrying")


def level(name: str, at: float) -> float:
    """The drill's shape: each change smoothed over the [5m] rate window, a little wobble."""
    calm, bad = LEVELS[name]
    up = min(max((at - RELEASE) / 300.0, 0.0), 1.0)
    down = min(max((at - ROLLBACK) / 300.0, 0.0), 1.0)
    return (calm + (bad - calm) * up * (1 - down)) * (1 + 0.04 * math.sin(at / 97.0))


def bad_release_views(*, stale_for: float = 0.0, window: float = 1800.0
                      ) -> dict[str, MetricView]:
    """The views a feed publishes at NOW, 4 minutes after the rollback started; `stale_for`
    seconds without an answer from Prometheus."""
    newest = NOW - stale_for
    times = [NOW - window + 15 * i for i in range(int(window // 15) + 1)]
    views = {}
    for metric in METRICS:
        calm = LEVELS[metric.name][0]
        baseline = Baseline.from_values("q", RELEASE - 3600, RELEASE, [calm, calm])
        views[metric.name] = metric_view(
            metric, tuple((t, level(metric.name, t)) for t in times if t <= newest), now=NOW,
            baseline=baseline, marks=(Mark(ROLLBACK, "rollback"),), window=window,
            stale_since=newest + 5 if stale_for else None,
            last_error=OUTAGE_ERROR if stale_for else None,
            retry_at=NOW + 8 if stale_for else None)
    return views


def texts(lines: list) -> list[str]:
    """The characters of each panel row."""
    return [line.text for line in lines]


def roles_of(line) -> set[Role]:
    """The roles a row uses."""
    return {role for _, role in line.runs}


# ---- pure drawing -----------------------------------------------------------------------------


def test_a_full_value_fills_every_dot_and_the_threshold_is_cut_out_of_it() -> None:
    rows = chart_lines([(0, 8.0), (10, 8.0)], ChartSpec(threshold=4, baseline=2), start=0,
                       end=10, rows=2, cells=2, scale=Scale(0, 8))
    # dot rows 0..7 (bottom up): threshold at 4 is cut (top row's lowest dots), baseline at 2
    # is cut every other column (bottom row, left dots), everything above the threshold is OVER
    assert texts(rows) == ["⠿⠿", "⣽⣽"]
    assert rows[0].runs == [("⠿⠿", Role.OVER)] and rows[1].runs == [("⣽⣽", Role.SERIES)]


def test_a_rising_series_is_an_area_from_zero() -> None:
    rows = chart_lines([(i, float(i)) for i in range(11)], ChartSpec(100, None), start=0,
                       end=10, rows=2, cells=4, scale=Scale(0, 100))
    assert texts(rows)[1] == "⣀⣀⣀⣤"  # ≤ 6.25 of 100 in the bottom dot row, 10 one dot up
    rows = chart_lines([(i, float(i)) for i in range(11)], ChartSpec(20, None), start=0,
                       end=10, rows=2, cells=4, scale=Scale(0, 10))
    top, bottom = texts(rows)
    assert bottom[-1] == "⣿" and bottom[0] in "⣀⣠⣤"
    assert top[0] == " " and top[-1] != " "


def test_threshold_and_baseline_land_on_their_rows() -> None:
    view = bad_release_views()["latency_p95"]
    scale = scale_for([v for _, v in view.points], [view.threshold, view.baseline.mean])
    assert (scale.low, scale.high) == (0.0, 0.5)
    labels = gutter_labels(view, scale, 3)
    assert labels[0] == ("500 ms", Role.THRESHOLD)  # 0.5 of 0.5: the top row
    assert labels[2] == ("140 ms", Role.BASELINE)  # 0.14 → dot 3 of 12: the bottom row
    rows = chart_lines([], ChartSpec(view.threshold, view.baseline.mean), start=0, end=10,
                       rows=3, cells=4, scale=scale)
    assert texts(rows) == ["⠉⠉⠉⠉", "    ", "⠁⠁⠁⠁"]  # dense threshold, sparse baseline
    assert roles_of(rows[0]) == {Role.THRESHOLD} and roles_of(rows[2]) == {Role.BASELINE}


def test_nan_is_a_gap_and_long_silences_are_not_joined() -> None:
    values = column_values([(0, 1.0), (1, math.nan), (2, 3.0)], 0, 3, 3)
    assert values[0] == 1.0 and math.isnan(values[1]) and values[2] == 3.0
    points = [(t, 5.0) for t in range(0, 300, 15)] + [(t, 5.0) for t in range(900, 1200, 15)]
    values = column_values(points, 0, 1200, 40)
    assert all(v is None for v in values[11:29])  # 10 minutes without samples stay empty
    assert values[5] == 5.0 and values[35] == 5.0
    rows = chart_lines([(0, 1.0), (5, math.nan), (10, 1.0)], ChartSpec(5, None), start=0,
                       end=10, rows=1, cells=5, scale=Scale(0, 1))
    assert texts(rows) == ["⡇   ⢸"]  # nothing is drawn into or across the NaN


def test_short_gaps_are_joined_by_a_straight_line() -> None:
    assert column_values([(0, 1.0), (2, 3.0)], 0, 2, 5) == [1.0, 1.5, 2.0, 2.5, 3.0]


def test_a_single_point_draws_one_column() -> None:
    rows = chart_lines([(10, 1.0)], ChartSpec(5, None), start=0, end=10, rows=2, cells=5,
                       scale=Scale(0, 1))
    assert texts(rows) == ["    ⢸", "    ⢸"]


def test_all_equal_values_sit_flat_below_a_round_top() -> None:
    scale = scale_for([40.0] * 10, [1.0, 40.0])
    assert scale == Scale(0.0, 40.0)
    rows = chart_lines([(t, 40.0) for t in range(11)], ChartSpec(1, 40), start=0, end=10,
                       rows=2, cells=5, scale=scale)
    assert len(set(texts(rows)[0][1:])) == 1  # one glyph across: flat


def test_zero_and_negative_values() -> None:
    assert scale_for([0.0, 0.0], [0.0]) == Scale(0.0, 1.0)
    assert scale_for([-3.0, -1.0], [-5.0]) == Scale(-5.0, 0.0)
    assert scale_for([-2.0, 4.0], [1.0]) == Scale(-2.0, 4.0)
    rows = chart_lines([(0, -2.0), (10, -2.0)], ChartSpec(-5, None, above_is_bad=False),
                       start=0, end=10, rows=2, cells=2, scale=Scale(-4, 0))
    assert texts(rows)[0] != "  " and texts(rows)[1].strip() == ""  # hangs down from zero


def test_huge_and_infinite_values_are_clamped_not_fatal() -> None:
    points = [(0, 1e300), (5, math.inf), (10, -math.inf)]
    scale = scale_for([v for _, v in points], [1.0])
    assert math.isfinite(scale.high) and scale.high >= 1e300
    rows = chart_lines(points, ChartSpec(1, None), start=0, end=10, rows=2, cells=5,
                       scale=scale)
    assert len(texts(rows)) == 2 and all(len(t) == 5 for t in texts(rows))
    assert nice_ceiling(0.12) == pytest.approx(0.12) and nice_ceiling(0.13) == pytest.approx(0.15)
    assert sparkline(points, ChartSpec(1, None), start=0, end=10, cells=3,
                     scale=scale).text[1] == "█"


def test_marks_outside_the_window_are_left_out() -> None:
    marks = (Mark(-60, "old"), Mark(900, "rollback"), Mark(5000, "future"))
    axis = axis_line(0, 1800, 40, marks).text
    assert "▲rollback" in axis and "old" not in axis and "future" not in axis
    assert axis.startswith("-30m") and axis.endswith("now")
    rows = chart_lines([], ChartSpec(99, None, marks=marks), start=0, end=1800, rows=2,
                       cells=40, scale=Scale(0, 1))
    marked = [i for i, char in enumerate(texts(rows)[1]) if char != " "]
    assert marked == [20]


def test_mark_labels_win_over_ticks_and_never_break_them() -> None:
    axis = axis_line(0, 1800, 40, [Mark(1600, "rollback")]).text
    assert axis.endswith("rollback▲ now"), axis
    axis = axis_line(0, 1800, 40, [Mark(1790, "rollback")]).text
    assert axis.endswith("rollback▲") and "n" not in axis.replace("rollback", ""), axis
    axis = axis_line(0, 1800, 40, [Mark(10, "rollback")]).text
    assert axis.startswith("▲rollback") and axis.endswith("now"), axis


def test_the_sparkline_marks_the_bad_side_and_the_rollback() -> None:
    view = bad_release_views()["error_ratio"]
    line = sparkline(view.points, ChartSpec(0.05, 0.002, marks=view.marks), start=NOW - 1800,
                     end=NOW, cells=30, scale=Scale(0, 0.15))
    assert "┆" in line.text and Role.OVER in roles_of(line) and line.text[0] == "▁"


# ---- layout -----------------------------------------------------------------------------------


def test_the_panel_degrades_from_charts_to_one_line_per_metric() -> None:
    assert plan(3, 58, 14, False).chart_rows == 3
    assert plan(4, 58, 14, False).chart_rows == 2
    assert plan(3, 78, 8, False).chart_rows == 1  # 80×24 tab: a sparkline row each
    assert plan(3, 78, 5, False).chart_rows == 0  # compact
    assert plan(3, 20, 14, False).chart_rows == 0  # too narrow for a chart
    for height in range(1, 20):
        for width in (12, 40, 58, 78):
            lines = panel_lines(bad_release_views(stale_for=50), width=width, height=height,
                                now=NOW)
            assert len(lines) <= height
            assert all(len(line.text) <= width for line in lines), (width, height)


def test_the_execution_panel_reads_as_the_sketch() -> None:
    lines = texts(panel_lines(bad_release_views(), width=58, height=14, now=NOW))
    assert lines[0].startswith("error 2.")
    assert lines[0].endswith("(baseline 0.2 %, threshold 5 %) ✓")
    assert lines[1].startswith("    15 %") and lines[2].startswith("     5 %")
    assert lines[3].startswith("   0.2 %")
    assert lines[4].startswith("p95   ") and "(baseline 140 ms, threshold 500 ms)" in lines[4]
    assert lines[8].startswith("rate  38 req/s ▬ (baseline 40 req/s, threshold 1 req/s) ✓")
    assert lines[-1].strip().startswith("-30m") and lines[-1].endswith("now")
    assert "rollback▲" in lines[-1] or "▲rollback" in lines[-1]


def test_stale_views_say_so_and_keep_their_dimmed_data() -> None:
    lines = panel_lines(bad_release_views(stale_for=50), width=78, height=12, now=NOW)
    assert lines[0].text.startswith("! no new data for 45s · retry in 8s — Prometheus at")
    assert roles_of(lines[0]) == {Role.WARNING}
    error = next(line for line in lines if line.text.startswith("error"))
    assert error.text.endswith("STALE 1m") and error.runs[-1] == ("STALE 1m", Role.STALE)
    charts = [line for line in lines if line.dim]
    assert charts and all(any("⠀" < c <= "⣿" or c in "▁▂▃▄▅▆▇█" for c in line.text)
                          for line in charts)


def test_the_summary_keeps_value_verdict_and_badge_when_short() -> None:
    view = bad_release_views(stale_for=50)["latency_p95"]
    for width, expected in ((80, "p95 258 ms ▼ (baseline 140 ms, threshold 500 ms) ✓"),
                            (58, "p95 258 ms ▼ (base 140 ms, thr 500 ms) ✓"),
                            (30, "p95 258 ms ▼ ✓")):
        line = summary(view, "p95", NOW, width)
        assert line.text.startswith(expected) and "STALE 1m" in line.text, line.text
        assert len(line.text) <= width
    assert summary(view, "p95", NOW, 80).text.endswith("STALE 1m · retry in 8s")


def test_no_data_yet_is_said_not_drawn_as_zero() -> None:
    assert texts(panel_lines({}, width=58, height=14, now=NOW)) == ["◌ no metric data yet"]
    empty = {m.name: metric_view(m, (), now=NOW, last_error="Prometheus refused the query")
             for m in METRICS}
    lines = panel_lines(empty, width=58, height=14, now=NOW)
    assert lines[0].text == "error no data (no baseline, threshold 5 %) ◌"
    assert lines[0].runs[0][1] is Role.UNKNOWN
    charts = [line.text[9:] for line in lines if line.text.startswith("    ")]
    assert charts and not any(c in "⣿⣤⣀▁" for text in charts for c in text.replace("⠉", ""))


def test_short_labels_are_unique_and_aligned() -> None:
    assert short_labels(["error_ratio", "latency_p95", "request_rate"]) == {
        "error_ratio": "error", "latency_p95": "p95  ", "request_rate": "rate "}
    labels = short_labels(["error_ratio", "error_budget"])
    assert labels == {"error_ratio": "error_ratio ", "error_budget": "error_budget"}


def test_next_window_steps_and_stops_at_the_ends() -> None:
    assert next_window(1800, True) == 3600 and next_window(1800, False) == 900
    assert next_window(7200, True) == 7200 and next_window(300, False) == 300
    assert next_window(1000, True) == 1800 and next_window(1000, False) == 900


# ---- in an app --------------------------------------------------------------------------------


class PanelHarness(App[None]):
    """The panels where the screens put them: the right column at 120×40 (`execution`), or
    under the work area like a tab at 80×24 (`tab`, `tab-compact`)."""

    CSS = """
    #work { width: 1fr; height: 1fr; border: round $secondary; }
    #evidence { width: 62; }
    #evidence #pods { height: 1fr; border: round $secondary; }
    .execution MetricPanel { height: 16; }
    .tab MetricPanel { height: 10; }
    .tab-compact MetricPanel { height: 5; }
    """

    def __init__(self, views: dict[str, MetricView], *, layout: str = "execution",
                 theme: str = "textual-dark") -> None:
        super().__init__()
        self.views, self.layout, self.initial_theme = views, layout, theme
        self.requests: list[float] = []

    def compose(self) -> ComposeResult:
        container = Horizontal if self.layout == "execution" else Vertical
        with container(classes=self.layout):
            yield Static("steps", id="work")
            if self.layout == "execution":
                with Vertical(id="evidence"):
                    yield Static("pods", id="pods")
                    yield MetricPanel(clock=lambda: NOW)
                    yield MetricLine(clock=lambda: NOW)
            else:
                yield MetricPanel(clock=lambda: NOW)

    def on_mount(self) -> None:
        self.theme = self.initial_theme
        for widget in self.query(MetricPanel):
            widget.views = self.views
        for widget in self.query(MetricLine):
            widget.views = self.views

    def on_metric_panel_window_change_requested(
            self, message: MetricPanel.WindowChangeRequested) -> None:
        self.requests.append(message.seconds)


@pytest.mark.parametrize(("layout", "size", "theme", "stale_for"), [
    ("execution", (120, 40), "textual-dark", 0.0),
    ("execution", (120, 40), "textual-light", 0.0),
    ("execution", (120, 40), "textual-dark", 50.0),
    ("tab", (80, 24), "textual-dark", 0.0),
    ("tab", (80, 24), "textual-light", 50.0),
    ("tab-compact", (80, 24), "textual-light", 0.0),
], ids=["execution-dark", "execution-light", "execution-dark-stale", "tab-dark",
        "tab-light-stale", "tab-compact-light"])
def test_snapshot(snap_compare, layout: str, size: tuple[int, int], theme: str,
                  stale_for: float) -> None:
    app = PanelHarness(bad_release_views(stale_for=stale_for), layout=layout, theme=theme)
    assert snap_compare(app, terminal_size=size)


def panel_text(panel: MetricPanel) -> str:
    """What the panel shows, border included, as plain text."""
    strips = panel.render_lines(Region(0, 0, *panel.outer_size))
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


HOSTILE = "[bold red]pwn[/] \x1b[2J\x1b]0;title\x07\r\nnext\tline \x00\x9b"


async def test_hostile_names_errors_and_marks_stay_inert() -> None:
    views = {}
    for index, view in enumerate(bad_release_views(stale_for=50).values()):
        # names no short label fits, so they are shown (inert, cut to 16 characters)
        hostile = replace(view, name=f"[b]m{index}[/b]\x1b[2J\x07\n", description=HOSTILE,
                          last_error=f"{HOSTILE} — retrying",
                          marks=(Mark(ROLLBACK, f"roll{HOSTILE}"),))
        views[hostile.name] = hostile
    app = PanelHarness(views, layout="tab")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        panel = app.query_one(MetricPanel)
        shown = panel_text(panel)
        assert "[bold red]pwn[/]" in shown  # markup shown as characters, not applied
        assert all(f"[b]m{i}[/b]^[[2J" in shown for i in range(3))  # controls as ^[
        assert not any(c in shown for c in "\x1b\x07\x00\x9b\r\t")
        assert "! no new data" in shown and "STALE" in shown
        for strip in panel.render_lines(Region(0, 0, *panel.outer_size)):
            assert strip.cell_length == panel.outer_size.width
        line = MetricLine(clock=lambda: NOW)  # the compact form too
        await app.mount(line)
        line.views = views
        await pilot.pause()
        compact = line.render_lines(Region(0, 0, *line.outer_size))
        text = "".join(seg.text for strip in compact for seg in strip)
        assert all(f"[b]m{i}[/b]^[[2J" in text for i in range(3)) and "\x1b" not in text
        assert all(s.cell_length == line.outer_size.width for s in compact)


async def test_window_keys_post_the_request_and_new_views_redraw() -> None:
    app = PanelHarness(bad_release_views())
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.query_one(MetricPanel)
        panel.focus()
        await pilot.press("plus")
        await pilot.pause()
        assert app.requests == [3600.0]
        assert "Metrics · 30m → 1h" in panel_text(panel)
        await pilot.press("minus", "minus")
        await pilot.pause()
        assert app.requests == [3600.0, 1800.0, 900.0]
        # the screen applies it; the next views come with the new window and the panel follows
        panel.views = bad_release_views(window=900.0)
        await pilot.pause()
        shown = panel_text(panel)
        assert "Metrics · 15m" in shown and "→" not in shown and "-15m" in shown
        # the next poll finds Prometheus gone: the panel says so at once
        panel.views = bad_release_views(stale_for=50, window=900.0)
        await pilot.pause()
        assert "STALE" not in shown and "STALE 1m" in panel_text(panel)


async def test_a_theme_change_recolours_the_panel() -> None:
    app = PanelHarness(bad_release_views())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        panel = app.query_one(MetricPanel)

        def summary_colour() -> object:
            strip = panel.render_lines(Region(0, 1, panel.outer_size.width, 1))[0]
            return next(s.style.color for s in strip if s.text.strip().startswith("error"))
        dark = summary_colour()
        app.theme = "textual-light"
        await pilot.pause()
        assert summary_colour() != dark
