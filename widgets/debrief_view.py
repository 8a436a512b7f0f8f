"""A block of the debrief: styled lines from a pure render function, as tall as they wrap to at
the widget's width, coloured from the theme (ok / warning / error / lost time …)."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.segment import Segment
from textual.strip import Strip
from textual.widget import Widget

from widgets.debrief_render import ROLES
from widgets.text import Line, component_palette

Render = Callable[[int], list[Line]]
"""Lines for a width."""


class DebriefBlock(Widget):
    """Lines from `render(width)`; height follows the width (words wrap, nothing is cut)."""

    DEFAULT_CSS = """
    DebriefBlock {
        height: auto;
        & > .debrief--ok { color: $text-success; }
        & > .debrief--warning { color: $text-warning; }
        & > .debrief--error { color: $text-error; text-style: bold; }
        & > .debrief--muted { color: $text-muted; }
        & > .debrief--heading { color: $text-accent; text-style: bold; }
        & > .debrief--strong { text-style: bold; }
        & > .debrief--lost { color: $text-warning; text-style: bold; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {f"debrief--{role}" for role in ROLES}

    def __init__(self, render: Render, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        """`render` is called again whenever the width changes or `redraw` is asked."""
        super().__init__(name=name, id=id, classes=classes)
        self.lines_for = render
        self._strips: list[Strip] | None = None
        self._width = -1
        self._lines: tuple[int, list[Line]] | None = None  # (width, lines) last rendered

    def redraw(self, render: Render | None = None) -> None:
        """Render again (with a new function, e.g. the other timeline view)."""
        if render is not None:
            self.lines_for = render
        self._strips = self._lines = None
        self.refresh(layout=True)

    def lines_at(self, width: int) -> list[Line]:
        """The lines at `width` (layout and drawing ask for the same width in turn)."""
        if self._lines is None or self._lines[0] != width:
            self._lines = (width, self.lines_for(width))
        return self._lines[1]

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        """As many rows as the lines wrap to at this width."""
        return len(self.lines_at(width))

    def notify_style_update(self) -> None:
        """A theme change recolours the lines."""
        super().notify_style_update()
        self._strips = None

    def render_line(self, y: int) -> Strip:
        """The y-th line (all are built together at one width)."""
        width = self.size.width
        if self._strips is None or self._width != width:
            palette = component_palette(self, "debrief", ROLES)
            base = self.rich_style
            self._strips = [Strip([Segment(text, palette.get(role, base)) for text, role in line
                                   ]).adjust_cell_length(width, base)
                            for line in self.lines_at(width)]
            self._width = width
        return self._strips[y] if y < len(self._strips) else Strip.blank(width, self.rich_style)
