"""Pure layout of the metric widgets: views → panel rows for a given size (no app needed), and
the one place the rows' roles become theme colours and strips."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from tui.domain.metrics import (
    Mark,
    MetricView,
    Severity,
    format_age,
    format_setting,
    format_value,
    summary_line,
)
from widgets.metric_chart import (
    ChartSpec,
    Line,
    Role,
    Scale,
    axis_line,
    chart_lines,
    row_of,
    scale_for,
    sparkline,
)
from widgets.text import fit, inert

MAX_CHART_ROWS = 8
MIN_CHART_CELLS = 20  # narrower than this, a chart says too little: use the compact form
SPARK_CELLS = 20
SEVERITY_ROLE = {Severity.OK: Role.OK, Severity.WARNING: Role.WARNING, Severity.BAD: Role.BAD,
                 Severity.UNKNOWN: Role.UNKNOWN}
_SHORT = (("error", "error"), ("p99", "p99"), ("p95", "p95"), ("p90", "p90"), ("p50", "p50"),
          ("latency", "latency"), ("duration", "latency"), ("saturation", "saturation"),
          ("rate", "rate"), ("throughput", "rate"))


def short_labels(names: Sequence[str]) -> dict[str, str]:
    """`error`, `p95`, `rate`… for metric names, padded to one width so values line up; a name
    whose short form another name shares keeps its own (inert) name."""
    short: dict[str, str] = {}
    for name in names:
        lowered = name.lower()
        short[name] = next((label for needle, label in _SHORT if needle in lowered),
                           inert(name, 16))
    taken = list(short.values())
    for name, label in short.items():
        if taken.count(label) > 1:
            short[name] = inert(name, 16)
    width = max((cell_len(label) for label in short.values()), default=0)
    return {name: label + " " * (width - cell_len(label)) for name, label in short.items()}


def retry_text(view: MetricView, now: float) -> str:
    """`retry in 8s` / `retrying` while stale, else empty."""
    if not view.stale or view.retry_at is None:
        return ""
    wait = view.retry_at - now
    return f"retry in {math.ceil(wait)}s" if wait >= 0.5 else "retrying"


def summary(view: MetricView, label: str, now: float, width: int, *, retry: bool = True
            ) -> Line:
    """The summary line in the severity's role, shortened to `width` keeping the value, the
    verdict symbol and the STALE badge: full words, then `base`/`thr`, then no reference.
    `retry` adds the countdown to the badge (left out where a notice already says it)."""
    text, severity = summary_line(view, label=label, now=now)
    head, _, stale = text.partition(" STALE")
    retry = retry_text(view, now) if retry else ""
    badge = f"STALE{stale}" + (f" · {retry}" if retry else "") if view.stale else ""
    short_head = head.replace("(baseline ", "(base ").replace(", threshold ", ", thr ")
    bare_head = head.split(" (", 1)[0] + " " + view.status.symbol
    brief_badge = badge.replace("retry in ", "↻")
    bare_badge = f"STALE{stale}" if view.stale else ""
    for body, tail in ((head, badge), (short_head, badge), (short_head, brief_badge),
                       (short_head, bare_badge), (bare_head, brief_badge),
                       (bare_head, bare_badge)):
        if cell_len(body) + (cell_len(tail) + 1 if tail else 0) <= width:
            break
    line = Line()
    role = SEVERITY_ROLE[severity]
    if tail:
        line.add(fit(body, max(width - cell_len(tail) - 1, 0)).rstrip() + " ", role)
        line.add(tail, Role.STALE)
    else:
        line.add(fit(body, width).rstrip(), role)
    return line


def _spec(view: MetricView, now: float) -> ChartSpec:
    return ChartSpec(view.threshold, None if view.baseline is None else view.baseline.mean,
                     view.direction != "below_is_bad",
                     tuple(m for m in view.marks if now - view.window <= m.at <= now))


def _scale(view: MetricView) -> Scale:
    references = [view.threshold] + ([view.baseline.mean] if view.baseline else [])
    return scale_for([v for _, v in view.points], references)


def gutter_labels(view: MetricView, scale: Scale, rows: int) -> dict[int, tuple[str, Role]]:
    """Y-axis labels by chart row: the threshold, the baseline, then the top and the bottom of
    the range where those leave room."""
    if rows == 1:  # a sparkline: its top is the one reference it has
        return {0: (format_setting(scale.high, view.unit), Role.AXIS)}
    labels: dict[int, tuple[str, Role]] = {}
    labels[row_of(view.threshold, scale, rows)] = (format_setting(view.threshold, view.unit),
                                                   Role.THRESHOLD)
    if view.baseline is not None:
        labels.setdefault(row_of(view.baseline.mean, scale, rows),
                          (format_value(view.baseline.mean, view.unit), Role.BASELINE))
    labels.setdefault(0, (format_setting(scale.high, view.unit), Role.AXIS))
    if rows >= 3:
        labels.setdefault(rows - 1, (format_setting(scale.low, view.unit), Role.AXIS))
    return labels


@dataclass(frozen=True, slots=True)
class Plan:
    """How the panel uses its height: chart rows per metric (0: compact), notice and axis."""

    chart_rows: int
    notice: bool
    axis: bool


def plan(metrics: int, width: int, height: int, stale: bool) -> Plan:
    """Charts with as many rows as fit (up to 8), else the one-line compact form."""
    notice = stale and height > metrics
    room = height - notice - 1
    per_metric = room // metrics if metrics else 0
    if per_metric >= 2 and width >= MIN_CHART_CELLS + 8:
        return Plan(min(per_metric - 1, MAX_CHART_ROWS), notice, True)
    return Plan(0, notice, False)


def stale_notice(views: Sequence[MetricView], now: float, width: int, rows: int) -> list[Line]:
    """`! no new data for 45s · retry in 8s — <the last error>` in up to `rows` lines."""
    stale = [v for v in views if v.stale]
    since = min((v.stale_since for v in stale if v.stale_since is not None), default=None)
    parts = ["! no new data" + (f" for {format_age(now - since)}" if since else "")]
    retry = next((retry_text(v, now) for v in stale if retry_text(v, now)), "")
    if retry:
        parts.append(retry)
    error = next((v.last_error for v in stale if v.last_error), None)
    text = " · ".join(parts) + (f" — {inert(error)}" if error else "")
    parts = [part.plain.rstrip() for part in Text(text).wrap(_console(width), width,
                                                             overflow="fold")]
    if len(parts) > max(rows, 1):
        parts[max(rows, 1) - 1:] = [fit(" ".join(parts[max(rows, 1) - 1:]), width)]
    return [Line([(part, Role.WARNING)]) for part in parts]


def _console(width: int) -> Console:
    return Console(width=width, no_color=True, legacy_windows=False, file=io.StringIO())


def compact_lines(views: Sequence[MetricView], labels: Mapping[str, str], *, now: float,
                  width: int, retry: bool = True) -> list[Line]:
    """Each metric as a sparkline and its summary line in `width` cells; the sparklines (one
    width, so they line up) give way, down to 8 cells, then none, before the summaries drop
    their references."""
    longest = max(cell_len(summary(v, labels[v.name], now, 10**4, retry=retry).text)
                  for v in views)
    cells = min(SPARK_CELLS, width - longest - 1)
    if cells < 8:
        cells = 8 if width >= 40 else 0
    lines = []
    for view in views:
        line = Line()
        if cells:
            spark = sparkline(view.points, _spec(view, now), start=now - view.window, end=now,
                              cells=cells, scale=_scale(view))
            for text, role in spark.runs:
                line.add(text, Role.AXIS if view.stale and role is not Role.MARK else role)
            line.add(" ", Role.PLAIN)
        rest = width - (cells + 1 if cells else 0)
        line.runs.extend(summary(view, labels[view.name], now, rest, retry=retry).runs)
        lines.append(line)
    return lines


def panel_lines(views: Mapping[str, MetricView], *, width: int, height: int, now: float
                ) -> list[Line]:
    """Every row of the metric panel for a `width`×`height` area at time `now`."""
    if width <= 0 or height <= 0:
        return []
    if not views:
        return [Line([("◌ no metric data yet", Role.UNKNOWN)])]
    shown = list(views.values())
    labels = short_labels([v.name for v in shown])
    layout = plan(len(shown), width, height, any(v.stale for v in shown))
    used = len(shown) * (1 + layout.chart_rows) + layout.axis
    lines = stale_notice(shown, now, width, height - used) if layout.notice else []
    if not layout.chart_rows:
        lines += compact_lines(shown, labels, now=now, width=width, retry=not layout.notice)
        return lines[:height]
    window = max(v.window for v in shown)
    start = now - window
    scales = [_scale(v) for v in shown]
    gutters = [gutter_labels(v, s, layout.chart_rows) for v, s in zip(shown, scales, strict=True)]
    gutter = max(cell_len(text) for g in gutters for text, _ in g.values()) + 1
    cells = width - gutter
    for view, scale, labels_by_row in zip(shown, scales, gutters, strict=True):
        lines.append(summary(view, labels[view.name], now, width, retry=not layout.notice))
        if layout.chart_rows == 1:  # one row of braille has 4 levels, blocks have 8
            rows = [sparkline(view.points, _spec(view, now), start=start, end=now, cells=cells,
                              scale=scale)]
        else:
            rows = chart_lines(view.points, _spec(view, now), start=start, end=now,
                               rows=layout.chart_rows, cells=cells, scale=scale)
        for index, row in enumerate(rows):
            text, role = labels_by_row.get(index, ("", Role.AXIS))
            line = Line(dim=view.stale)
            line.add(" " * (gutter - 1 - cell_len(text)) + text + " ", role)
            line.runs.extend(row.runs)
            lines.append(line)
    marks = _distinct_marks(shown)
    axis = Line()
    axis.add(" " * gutter, Role.AXIS)
    axis.runs.extend(axis_line(start, now, cells, marks).runs)
    lines.append(axis)
    return lines[:height]


def _distinct_marks(views: Sequence[MetricView]) -> list[Mark]:
    seen: dict[tuple[float, str], Mark] = {}
    for view in views:
        for mark in view.marks:
            seen.setdefault((mark.at, mark.label), mark)
    return sorted(seen.values(), key=lambda m: m.at)


# ---- roles → theme colours → strips ------------------------------------------------------------

# Text roles use the $text-* colours (legible on the theme's background, light or dark); the
# chart's dots use the plain theme colours.
ROLE_CSS = {
    Role.SERIES: "color: $primary;",
    Role.OVER: "color: $error;",
    Role.THRESHOLD: "color: $text-error;",
    Role.BASELINE: "color: $text-success;",
    Role.MARK: "color: $text-accent; text-style: bold;",
    Role.AXIS: "color: $text-muted;",
    Role.OK: "color: $text-success;",
    Role.WARNING: "color: $text-warning;",
    Role.BAD: "color: $text-error; text-style: bold;",
    Role.UNKNOWN: "color: $text-muted;",
    Role.STALE: "color: $warning; text-style: bold reverse;",
    Role.PLAIN: "",
}
COMPONENT_CLASSES = {f"metric--{role}" for role in Role}


def component_css(widget: str) -> str:
    """The DEFAULT_CSS rules that give each role its theme colour inside `widget`."""
    return "\n".join(f"{widget} > .metric--{role} {{ {css} }}" for role, css in ROLE_CSS.items())


def role_styles(component_style: Callable[[str], Style]) -> dict[Role, Style]:
    """Each role's Rich style, read from the widget's component classes."""
    return {role: component_style(f"metric--{role}") for role in Role}


def to_strip(line: Line, styles: Mapping[Role, Style], width: int) -> Strip:
    """A row as a strip exactly `width` cells wide; a stale chart row dimmed."""
    dim = Style(dim=True) if line.dim else None
    segments = [Segment(text, styles[role] + dim if dim else styles[role])
                for text, role in line.runs]
    return Strip(segments).adjust_cell_length(width, styles[Role.PLAIN])
