"""An append-only view on the Line API that follows its tail: a step's streaming output, the
journal's timeline.

Appending renders only the new items; the oldest are dropped past `max_items`. While the view
is scrolled to the end it follows new items; once the operator scrolls up it stays put and its
bottom line says how many arrived (`▼ 3 new · End to follow`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Generic, TypeVar

from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from widgets.text import Line, fit, to_text

ItemT = TypeVar("ItemT")


class TailView(ScrollView, Generic[ItemT], can_focus=True):
    """Items rendered as lines, newest at the bottom, following the tail."""

    DEFAULT_CSS = """
    TailView {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
        scrollbar-size-vertical: 1;
        scrollbar-size-horizontal: 0;
        & > .tail-view--hint { background: $accent; color: $text; text-style: bold; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"tail-view--hint"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "scroll_up", "Scroll up", show=False, id="tail.up"),
        Binding("down", "scroll_down", "Scroll down", show=False, id="tail.down"),
        Binding("pageup", "page_up", "Page up", show=False, id="tail.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="tail.page_down"),
        Binding("home", "scroll_home", "Oldest", show=False, id="tail.oldest"),
        Binding("end", "follow", "Follow", show=False, id="tail.follow"),
    ]

    def __init__(self, *, max_items: int = 1000, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.max_items = max_items
        self._items: list[ItemT] = []
        self._lines: list[Strip] = []
        self._heights: list[int] = []
        self._width = 0
        self._new = 0
        self._follow = True

    # ---- for subclasses -------------------------------------------------------------------
    def render_item(self, item: ItemT, width: int) -> list[Line]:
        """The lines one item takes at `width` cells."""
        raise NotImplementedError

    def item_palette(self) -> dict[str, Style]:
        """Styles by role for the pieces `render_item` returns."""
        return {}

    # ---- public ---------------------------------------------------------------------------
    @property
    def items(self) -> list[ItemT]:
        """The items held, oldest first (a copy)."""
        return list(self._items)

    @property
    def new_count(self) -> int:
        """Items that arrived while the operator was scrolled up."""
        return self._new

    @property
    def following(self) -> bool:
        """Whether new items scroll into view (until the operator scrolls up)."""
        return self._follow

    def append(self, item: ItemT) -> None:
        """Add one item at the end."""
        self.extend([item])

    def extend(self, items: Iterable[ItemT]) -> None:
        """Add items at the end, rendering only them."""
        added = list(items)
        if not added:
            return
        if not self.is_attached or not self._width:  # rendered once there is a width
            self._items = [*self._items, *added][-self.max_items:]
            return
        following = self._follow
        self._items.extend(added)
        if self._width:
            palette = self.item_palette()
            for item in added:
                self._add_lines(item, palette)
        self._trim(following)
        self.virtual_size = Size(self._width, len(self._lines))
        if following:
            self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
        else:
            self._new += len(added)
        self.refresh()

    def replace(self, items: Iterable[ItemT]) -> None:
        """Show exactly `items` (a different step's output, a reloaded journal)."""
        self._items = list(items)[-self.max_items:]
        self._new, self._follow = 0, True
        self._rerender()
        self.scroll_end(animate=False, x_axis=False, force=True)

    def clear(self) -> None:
        """Show nothing."""
        self.replace([])

    def action_follow(self) -> None:
        """Jump to the newest item and follow again."""
        self._new, self._follow = 0, True
        self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
        self.refresh()

    # ---- rendering ------------------------------------------------------------------------
    def _add_lines(self, item: ItemT, palette: dict[str, Style]) -> None:
        console = self.app.console
        lines = self.render_item(item, self._width) or [[]]
        for line in lines:
            text = to_text(line, palette)
            self._lines.append(Strip(text.render(console), text.cell_len))
        self._heights.append(len(lines))

    def _trim(self, following: bool) -> None:
        # Trimming in batches keeps the cost of `del list[:n]` rare.
        excess = len(self._items) - self.max_items
        if excess <= 0 or (excess < max(self.max_items // 10, 1) and len(self._items) > 1):
            return
        del self._items[:excess]
        if self._heights:
            dropped = sum(self._heights[:excess])
            del self._heights[:excess]
            del self._lines[:dropped]
            if not following:  # keep the lines the operator is reading where they are
                self.scroll_to(y=max(self.scroll_offset.y - dropped, 0), animate=False,
                               immediate=True, force=True)

    def _rerender(self) -> None:
        self._lines, self._heights = [], []
        self._width = self.scrollable_content_region.width if self.is_attached else 0
        if not self.size.width:
            self._width = 0  # no styles or size yet: on_resize renders
        if self._width:
            palette = self.item_palette()
            for item in self._items:
                self._add_lines(item, palette)
        self.virtual_size = Size(self._width, len(self._lines))
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        """Re-render at a new width; stay at the end while following."""
        if self.scrollable_content_region.width != self._width:
            self._rerender()
        if self._follow:  # after the refresh: the new size is not applied yet
            self.scroll_end(animate=False, x_axis=False, force=True)

    def notify_style_update(self) -> None:
        """A theme or class change: the rendered lines hold old colours."""
        super().notify_style_update()
        if self.is_attached and self._width:  # after the refresh, as component styles update
            self.call_after_refresh(self._rerender)

    def watch_scroll_y(self, old: float, new: float) -> None:
        """Scrolling up stops following; reaching the end by any means resumes it."""
        super().watch_scroll_y(old, new)
        if new >= self.max_scroll_y:
            if self._new or not self._follow:
                self._new, self._follow = 0, True
                self.refresh()
        elif new < old:
            self._follow = False

    def render_line(self, y: int) -> Strip:
        """One visible line; the bottom one is the `▼ N new` hint while there is one."""
        width = self.size.width
        base = self.rich_style
        if self._new and y == self.scrollable_content_region.height - 1:
            hint = fit(f" ▼ {self._new} new · End to follow", width)
            return Strip(to_text([(hint, "hint")], {
                "hint": self.get_component_rich_style("tail-view--hint")}).render(
                    self.app.console), width).apply_style(base)
        index = round(self.scroll_offset.y) + y
        if index >= len(self._lines):
            return Strip.blank(width, base)
        return self._lines[index].crop_extend(0, width, None).apply_style(base)
