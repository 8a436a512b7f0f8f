"""The metric panel: each runbook metric's recent window as a chart against its frozen baseline
and threshold, with the rollback mark, the verdict line and an honest STALE state."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from tui.domain.metrics import MetricStatus, MetricView
from widgets.metric_chart import window_label
from widgets.metric_layout import (
    COMPONENT_CLASSES,
    component_css,
    panel_lines,
    role_styles,
    to_strip,
)

WINDOWS = (300.0, 900.0, 1800.0, 3600.0, 7200.0)  # what + and - step through


def next_window(current: float, longer: bool) -> float:
    """The next window of WINDOWS after `current`, longer or shorter (the ends stay put)."""
    if longer:
        return next((w for w in WINDOWS if w > current), WINDOWS[-1])
    return next((w for w in reversed(WINDOWS) if w < current), WINDOWS[0])


class MetricPanel(Widget, can_focus=True):
    """Charts of the runbook's metrics; fits any height, down to one line per metric."""

    DEFAULT_CSS = """
    MetricPanel { height: 1fr; border: round $primary 50%; padding: 0 1; }
    MetricPanel:focus { border: round $primary; }
    MetricPanel.-bad { border: round $error; }
    MetricPanel.-stale { border: round $warning; }
    """ + component_css("MetricPanel")
    COMPONENT_CLASSES: ClassVar[set[str]] = COMPONENT_CLASSES

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("plus,equals_sign", "window(True)", "Longer window", id="metrics.window-longer"),
        Binding("minus", "window(False)", "Shorter window", id="metrics.window-shorter"),
    ]

    @dataclass
    class WindowChangeRequested(Message):
        """The operator asked to see `seconds` of history (the screen applies it to the feed)."""

        seconds: float

    views: reactive[Mapping[str, MetricView]] = reactive(dict, always_update=True)
    """Each metric's latest view, by name in the runbook's order (set after every poll)."""

    def __init__(self, *, clock: Callable[[], float] = time.time, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        """`clock` gives now (epoch seconds), the chart's right edge and the age's reference."""
        super().__init__(name=name, id=id, classes=classes)
        self.clock = clock
        self._lines: list[Strip] | None = None
        self._requested: float | None = None

    def on_mount(self) -> None:
        """Title the border; tick once a second so a stale age and countdown keep moving."""
        self._retitle()
        self.set_interval(1.0, self._tick)

    @property
    def window(self) -> float:
        """The seconds of history shown (from the views; 30 minutes before any arrive)."""
        return max((v.window for v in self.views.values()), default=1800.0)

    def watch_views(self, views: Mapping[str, MetricView]) -> None:
        """Redraw; the border says whether anything is bad or stale."""
        if self._requested is not None and self.window == self._requested:
            self._requested = None
        self.set_class(any(v.status is MetricStatus.BAD for v in views.values()), "-bad")
        self.set_class(any(v.stale for v in views.values()), "-stale")
        self._retitle()
        self._invalidate()

    def action_window(self, longer: bool) -> None:
        """Ask for the next longer or shorter window."""
        current = self._requested if self._requested is not None else self.window
        seconds = next_window(current, longer)
        if seconds != current:
            self._requested = seconds
            self._retitle()
            self.post_message(self.WindowChangeRequested(seconds))

    def _retitle(self) -> None:
        shown = window_label(self.window)
        if self._requested is not None:
            shown += f" → {window_label(self._requested)}"
        self.border_title = f"Metrics · {shown}"
        self.border_subtitle = "+/- window"

    def _tick(self) -> None:
        if any(v.stale for v in self.views.values()):
            self._invalidate()

    def _invalidate(self) -> None:
        self._lines = None
        self.refresh()

    def on_resize(self) -> None:
        """A new size needs a new layout."""
        self._lines = None

    def notify_style_update(self) -> None:
        """A theme change recolours the cached lines."""
        super().notify_style_update()
        self._lines = None

    def render_line(self, y: int) -> Strip:
        """Row `y` of the panel (all rows are built together, once per change)."""
        if self._lines is None:
            width, height = self.size
            styles = role_styles(self.get_component_rich_style)
            self._lines = [to_strip(line, styles, width) for line in
                           panel_lines(self.views, width=width, height=height, now=self.clock())]
        if y < len(self._lines):
            return self._lines[y]
        return Strip.blank(self.size.width, self.rich_style)
