"""The compact metric view: one line per metric, a sparkline of the window and the verdict."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import ClassVar

from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from tui.domain.metrics import MetricView
from widgets.metric_chart import Line, Role
from widgets.metric_layout import (
    COMPONENT_CLASSES,
    compact_lines,
    component_css,
    role_styles,
    short_labels,
    to_strip,
)


class MetricLine(Widget):
    """`▁▁▁▇██▇▃▁ error 3.1 % ▼ (baseline 0.2 %, threshold 5 %) ✓`, one row per metric."""

    DEFAULT_CSS = "MetricLine { height: auto; }\n" + component_css("MetricLine")
    COMPONENT_CLASSES: ClassVar[set[str]] = COMPONENT_CLASSES

    views: reactive[Mapping[str, MetricView]] = reactive(dict, always_update=True, layout=True)
    """Each metric's latest view, by name in the runbook's order (set after every poll)."""

    def __init__(self, *, clock: Callable[[], float] = time.time, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        """`clock` gives now (epoch seconds), the sparkline's right edge."""
        super().__init__(name=name, id=id, classes=classes)
        self.clock = clock
        self._lines: list[Strip] | None = None
        self._lines_width = 0

    def on_mount(self) -> None:
        """Tick once a second so a stale age and countdown keep moving."""
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        if any(v.stale for v in self.views.values()):
            self._lines = None
            self.refresh()

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        """One row per metric (one for the 'no data' line)."""
        return max(len(self.views), 1)

    def notify_style_update(self) -> None:
        """A theme change recolours the cached lines."""
        super().notify_style_update()
        self._lines = None

    def watch_views(self) -> None:
        """Redraw every line."""
        self._lines = None

    def render_line(self, y: int) -> Strip:
        """The line of the y-th metric (all lines are built together: they share one width)."""
        width = self.size.width
        if self._lines is None or self._lines_width != width:
            views = list(self.views.values())
            lines = compact_lines(views, short_labels([v.name for v in views]),
                                  now=self.clock(), width=width) if views else [
                Line([("◌ no metric data yet", Role.UNKNOWN)])]
            styles = role_styles(self.get_component_rich_style)
            self._lines = [to_strip(line, styles, width) for line in lines]
            self._lines_width = width
        return self._lines[y] if y < len(self._lines) else Strip.blank(width, self.rich_style)
