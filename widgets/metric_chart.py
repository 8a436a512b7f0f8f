"""Pure drawing of metric charts: points → rows of (text, role) runs, no app needed.

A chart is braille (2×4 dots per cell) so 30 minutes of 15 s samples fit in ~60 columns at full
resolution; the compact sparkline uses block characters (8 levels in one row). The roles name
what a run is (series, threshold, …); the widgets map them to theme colours. Reference lines and
the marks are dots merged into the same braille cells as the data, so the data is never hidden.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise

from tui.domain.metrics import Mark, Point
from widgets.text import inert

Run = tuple[str, "Role"]
EIGHTHS = " ▁▂▃▄▅▆▇█"
MARK_GLYPH = "┆"
MIN_GAP = 60.0  # seconds: points this far apart (or 4 sample spacings) are not joined


class Role(StrEnum):
    """What a run of cells shows; the widgets give each role a theme colour."""

    SERIES = "series"
    OVER = "over"  # series beyond the threshold (on the bad side)
    THRESHOLD = "threshold"
    BASELINE = "baseline"
    MARK = "mark"
    AXIS = "axis"
    OK = "ok"
    WARNING = "warning"
    BAD = "bad"
    UNKNOWN = "unknown"
    STALE = "stale"  # the STALE badge
    PLAIN = "plain"


@dataclass(slots=True)
class Line:
    """One row of the panel: runs of text with roles; `dim` for a stale metric's chart."""

    runs: list[Run] = field(default_factory=list)
    dim: bool = False

    @property
    def text(self) -> str:
        """The row's characters."""
        return "".join(text for text, _ in self.runs)

    def add(self, text: str, role: Role) -> None:
        """Append text, merging it into the previous run of the same role."""
        if not text:
            return
        if self.runs and self.runs[-1][1] == role:
            self.runs[-1] = (self.runs[-1][0] + text, role)
        else:
            self.runs.append((text, role))


@dataclass(frozen=True, slots=True)
class Scale:
    """The value range a chart maps onto its rows."""

    low: float
    high: float

    def dot(self, value: float, dots: int) -> int:
        """The dot row (0 = bottom) of `value`, clamped into the chart."""
        if math.isinf(value):
            return dots - 1 if value > 0 else 0
        span = self.high - self.low
        position = (value - self.low) / span * (dots - 1) if span > 0 else 0.0
        return min(max(round(position), 0), dots - 1)


def nice_ceiling(value: float) -> float:
    """The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k) ≥ `value` (> 0)."""
    exponent = math.floor(math.log10(value))
    for step in (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        candidate = step * 10.0 ** exponent
        if candidate >= value * (1 - 1e-9):
            return candidate
    return 10.0 ** (exponent + 1)


def scale_for(values: Sequence[float], references: Sequence[float]) -> Scale:
    """From 0 (or the lowest value) up to a round number above the data and the references."""
    finite = [v for v in (*values, *references) if math.isfinite(v)]
    if not finite:
        return Scale(0.0, 1.0)
    low, high = min(min(finite), 0.0), max(finite)
    if high <= 0:
        return Scale(low, 0.0) if low < 0 else Scale(0.0, 1.0)
    return Scale(low, nice_ceiling(high))


def _worst(values: list[float], above_is_bad: bool) -> float:
    finite = [v for v in values if not math.isnan(v)]
    if not finite:
        return math.nan
    return max(finite) if above_is_bad else min(finite)


def column_values(points: Sequence[Point], start: float, end: float, columns: int, *,
                  above_is_bad: bool = True) -> list[float | None]:
    """One value per column over [start, end]: the worst sample in it, joined across empty
    columns by straight lines; None where there is no data, NaN where Prometheus said NaN."""
    if columns <= 0 or end <= start:
        return []
    width = (end - start) / columns
    bins: list[list[float]] = [[] for _ in range(columns)]
    times: list[float] = []
    for at, value in points:
        if start <= at <= end:
            bins[min(int((at - start) / width), columns - 1)].append(value)
            times.append(at)
    spacings = sorted(b - a for a, b in pairwise(times))
    max_gap = max(MIN_GAP, 4 * spacings[len(spacings) // 2]) if spacings else MIN_GAP
    result: list[float | None] = [_worst(b, above_is_bad) if b else None for b in bins]
    previous: int | None = None
    for index, value in enumerate(result):
        if value is None:
            continue
        if previous is not None and 1 < index - previous and (index - previous) * width <= max_gap:
            before, after = result[previous], value
            assert before is not None
            if not (math.isnan(before) or math.isnan(after)):
                for gap in range(previous + 1, index):
                    share = (gap - previous) / (index - previous)
                    result[gap] = before + (after - before) * share
        previous = index
    return result


# ---- braille chart ----------------------------------------------------------------------------

# Bit of the dot at (column 0/1 within the cell, row 0..3 from the top of the cell).
_DOT = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
_LAYERS = (Role.OVER, Role.SERIES, Role.THRESHOLD, Role.BASELINE, Role.MARK)
# Bits of the dots from row a to row b (from the top, inclusive) in column 0/1 of a cell.
_SPAN = tuple(tuple(tuple(sum(_DOT[side][r] for r in range(a, b + 1)) for b in range(4))
                    for a in range(4)) for side in (0, 1))


@dataclass(slots=True)
class _Canvas:
    """Dots by layer, one int per cell, so each cell's role follows what it holds."""

    rows: int
    cells: int
    layers: dict[Role, list[int]] = field(default_factory=dict)

    def _where(self, x: int, y: int) -> tuple[int, int]:
        top = self.rows * 4 - 1 - y
        return (top // 4) * self.cells + x // 2, _DOT[x % 2][top % 4]

    def set(self, role: Role, x: int, y: int) -> None:
        """Set the dot at dot column x, dot row y (0 = bottom)."""
        cell, bit = self._where(x, y)
        self.layers.setdefault(role, [0] * (self.rows * self.cells))[cell] |= bit

    def fill(self, role: Role, x: int, low: int, high: int) -> None:
        """Set the dots of dot column x from dot row `low` to `high` (inclusive, 0 = bottom)."""
        if low > high:
            return
        layer = self.layers.setdefault(role, [0] * (self.rows * self.cells))
        top_low, top_high = self.rows * 4 - 1 - high, self.rows * 4 - 1 - low
        span = _SPAN[x % 2]
        for row in range(top_low // 4, top_high // 4 + 1):
            first, last = max(top_low - 4 * row, 0), min(top_high - 4 * row, 3)
            layer[row * self.cells + x // 2] |= span[first][last]

    def clear(self, x: int, y: int) -> None:
        """Cut the dot at (x, y) out of every layer (a reference line through the area)."""
        cell, bit = self._where(x, y)
        for layer in self.layers.values():
            layer[cell] &= ~bit

    def line(self, row: int) -> Line:
        """Cell row `row` (0 = top) as runs, each cell in the role of its first non-empty
        layer of over, series, threshold, baseline, mark."""
        layers = [(r, self.layers[r]) for r in _LAYERS if r in self.layers]
        line = Line()
        for cell in range(row * self.cells, (row + 1) * self.cells):
            bits, role = 0, Role.PLAIN
            for layer_role, layer in layers:
                if layer[cell] and role is Role.PLAIN:
                    role = layer_role
                bits |= layer[cell]
            line.add(chr(0x2800 + bits) if bits else " ", role)
        return line


@dataclass(frozen=True, slots=True)
class ChartSpec:
    """What one chart draws besides its points."""

    threshold: float
    baseline: float | None
    above_is_bad: bool = True
    marks: tuple[Mark, ...] = ()


def chart_lines(points: Sequence[Point], spec: ChartSpec, *, start: float, end: float,
                rows: int, cells: int, scale: Scale) -> list[Line]:
    """The chart's rows (top first), `cells` wide: the series as an area from zero (the part
    beyond the threshold in the OVER role), the threshold as a dotted line that is cut out of
    the area where the area covers it, the baseline as a sparse dotted line (cut out likewise),
    each mark as a dotted vertical (cut out likewise). The area's top edge is never cut; a
    reference outside the scale is not drawn."""
    if rows <= 0 or cells <= 0:
        return []
    dots = rows * 4
    canvas = _Canvas(rows, cells)
    threshold_dot = scale.dot(spec.threshold, dots)
    zero = scale.dot(0.0, dots)
    spans: list[tuple[int, int] | None] = []
    for x, value in enumerate(column_values(points, start, end, cells * 2,
                                            above_is_bad=spec.above_is_bad)):
        if value is None or math.isnan(value):
            spans.append(None)
            continue
        here = scale.dot(value, dots)
        low, high = min(here, zero), max(here, zero)
        spans.append((low, high))
        if spec.above_is_bad:
            canvas.fill(Role.SERIES, x, low, min(high, threshold_dot))
            canvas.fill(Role.OVER, x, max(low, threshold_dot + 1), high)
        else:
            canvas.fill(Role.OVER, x, low, min(high, threshold_dot - 1))
            canvas.fill(Role.SERIES, x, max(low, threshold_dot), high)

    def inside(x: int, y: int) -> bool:
        span = spans[x]
        return span is not None and span[0] <= y < span[1]

    def covered(x: int, y: int) -> bool:
        span = spans[x]
        return span is not None and span[0] <= y <= span[1]

    for x in range(cells * 2) if scale.low <= spec.threshold <= scale.high else ():
        if inside(x, threshold_dot):
            canvas.clear(x, threshold_dot)
        elif not covered(x, threshold_dot):
            canvas.set(Role.THRESHOLD, x, threshold_dot)
    if spec.baseline is not None and scale.low <= spec.baseline <= scale.high:
        baseline_dot = scale.dot(spec.baseline, dots)
        for x in range(0, cells * 2, 2):
            if inside(x, baseline_dot):
                canvas.clear(x, baseline_dot)
            elif not covered(x, baseline_dot):
                canvas.set(Role.BASELINE, x, baseline_dot)
    for mark in spec.marks:
        if start <= mark.at <= end:
            x = mark_column(mark.at, start, end, cells * 2)
            for y in range(dots - 1, -1, -2):
                if inside(x, y):
                    canvas.clear(x, y)
                elif not covered(x, y):
                    canvas.set(Role.MARK, x, y)
    return [canvas.line(row) for row in range(rows)]


def mark_column(at: float, start: float, end: float, columns: int) -> int:
    """The column (of `columns` over [start, end]) a moment falls in."""
    return min(max(int((at - start) / (end - start) * columns), 0), columns - 1)


def row_of(value: float, scale: Scale, rows: int) -> int:
    """The cell row (0 = top) that holds `value`'s dot."""
    return (rows * 4 - 1 - scale.dot(value, rows * 4)) // 4


# ---- sparkline --------------------------------------------------------------------------------


def sparkline(points: Sequence[Point], spec: ChartSpec, *, start: float, end: float,
              cells: int, scale: Scale) -> Line:
    """One row of block characters (8 levels), the worst sample per cell; values beyond the
    threshold in the OVER role, a mark as ┆, no data as a space."""
    line = Line()
    values = column_values(points, start, end, cells, above_is_bad=spec.above_is_bad)
    marked = {mark_column(m.at, start, end, cells) for m in spec.marks if start <= m.at <= end}
    span = scale.high - scale.low
    for index, value in enumerate(values):
        if index in marked:
            line.add(MARK_GLYPH, Role.MARK)
        elif value is None or math.isnan(value):
            line.add(" ", Role.PLAIN)
        else:
            level = 8 if math.isinf(value) and value > 0 else (
                round((value - scale.low) / span * 7) + 1 if span > 0 and math.isfinite(value)
                else 1)
            beyond = value > spec.threshold if spec.above_is_bad else value < spec.threshold
            line.add(EIGHTHS[min(max(level, 1), 8)], Role.OVER if beyond else Role.SERIES)
    return line


# ---- the time axis ----------------------------------------------------------------------------


def window_label(seconds: float) -> str:
    """`30m`, `2h`, `1.5h`, `90s`, `2.5m`: a window length as a tick label."""
    if seconds >= 3600:
        return f"{seconds / 3600:g}h"
    if seconds >= 60:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"


def axis_line(start: float, end: float, cells: int, marks: Sequence[Mark]) -> Line:
    """`-30m        -15m   ▲rollback    now` under `cells` chart columns: each mark's label
    first (right of its ▲, else left, else the ▲ alone), then `now`, the start and the middle
    where they still fit; marks outside the window are left out."""
    chars: list[str] = [" "] * cells
    roles: list[Role] = [Role.AXIS] * cells
    taken = [False] * cells

    def place(text: str, at: int, role: Role, force: bool = False) -> bool:
        at = min(max(at, 0), max(cells - len(text), 0))
        span = range(at, min(at + len(text), cells))
        near = range(max(at - 1, 0), min(at + len(text) + 1, cells))
        if len(span) < len(text) or (not force and any(taken[i] for i in near)):
            return False
        for offset, i in enumerate(span):
            chars[i], roles[i], taken[i] = text[offset], role, True
        return True

    for mark in marks:
        if not start <= mark.at <= end:
            continue
        column = mark_column(mark.at, start, end, cells * 2) // 2
        label = inert(mark.label, 24)
        right, left = "▲" + label, label + "▲"
        # Right of the ▲ where that leaves room for "now", else left of it, else as it fits.
        if not ((column + len(right) < cells - 4 and place(right, column, Role.MARK))
                or place(left, column - len(label), Role.MARK)
                or place(right, column, Role.MARK)):
            place("▲", column, Role.MARK, force=True)
    window = end - start
    place("now", cells - 3, Role.AXIS)
    place(f"-{window_label(window)}", 0, Role.AXIS)
    middle = f"-{window_label(window / 2)}"
    place(middle, cells // 2 - len(middle) // 2, Role.AXIS)
    line = Line()
    for char, role in zip(chars, roles, strict=True):
        line.add(char, role)
    return line
