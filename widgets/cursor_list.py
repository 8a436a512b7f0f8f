"""A keyboard-driven list on the Line API: rows of one or more lines, a cursor that skips
headers, and the highlighted row free to show extra lines (a reason, a note).

The base of StepList and Checklist. Subclasses say what the rows are (`row_keys`) and how one
renders (`render_row`, usually a call to a pure function); the base keeps the cursor on the same
row across data changes, keeps it in view, and calls `cursor_moved` / `row_chosen`.
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from widgets.text import Line, to_text


class CursorList(ScrollView, can_focus=True):
    """Rows with a cursor; header rows (key None) are shown but skipped."""

    DEFAULT_CSS = """
    CursorList {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
        scrollbar-size-vertical: 1;
        scrollbar-size-horizontal: 0;
        & > .cursor-list--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
        }
        &:focus > .cursor-list--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"cursor-list--cursor"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False, id="cursor.up"),
        Binding("down", "cursor_down", "Down", show=False, id="cursor.down"),
        Binding("home", "cursor_first", "First", show=False, id="cursor.first"),
        Binding("end", "cursor_last", "Last", show=False, id="cursor.last"),
        Binding("pageup", "cursor_page_up", "Page up", show=False, id="cursor.page_up"),
        Binding("pagedown", "cursor_page_down", "Page down", show=False, id="cursor.page_down"),
    ]

    cursor: reactive[int] = reactive(0, layout=False, init=False)
    """Index of the highlighted row (always a selectable one when there is any)."""

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._keys: list[str | None] = []
        self._lines: list[Strip] = []
        self._line_row: list[int] = []
        self._row_start: list[int] = []
        self._width = 0
        self._announced: str | None = None

    # ---- for subclasses -------------------------------------------------------------------
    def row_keys(self) -> list[str | None]:
        """The key of each row, None for a header."""
        return []

    def render_row(self, index: int, width: int, highlighted: bool) -> list[Line]:
        """The lines of row `index` at `width` cells (more when highlighted, if it likes)."""
        return []

    def row_palette(self) -> dict[str, Style]:
        """Styles by role for the pieces `render_row` returns."""
        return {}

    def cursor_moved(self, key: str) -> None:
        """The cursor landed on the row with `key`."""

    def row_chosen(self, key: str) -> None:
        """Enter on the row with `key`."""

    # ---- public ---------------------------------------------------------------------------
    @property
    def highlighted_key(self) -> str | None:
        """The key under the cursor, None when the list has no selectable row."""
        if 0 <= self.cursor < len(self._keys):
            return self._keys[self.cursor]
        return None

    def rows_changed(self) -> None:
        """Re-read the rows (after the data changed), keeping the cursor on the same key."""
        previous = self.highlighted_key
        self._keys = self.row_keys()
        if previous is not None and previous in self._keys:
            index = self._keys.index(previous)
        else:
            index = self._nearest(min(self.cursor, len(self._keys) - 1), 1)
        self.set_reactive(CursorList.cursor, max(index, 0))
        self._relayout()
        if self.is_attached:
            self._announce()

    def move_to(self, key: str) -> None:
        """Put the cursor on the row with `key`, if there is one."""
        if key in self._keys:
            self.cursor = self._keys.index(key)

    # ---- layout ---------------------------------------------------------------------------
    def _relayout(self) -> None:
        if not self.is_attached or not self.size.width:
            return  # on_resize lays out once there are styles and a size
        width = self.scrollable_content_region.width or self.size.width
        self._width = width
        palette = self.row_palette()
        lines: list[Strip] = []
        line_row: list[int] = []
        starts: list[int] = []
        console = self.app.console
        for index in range(len(self._keys)):
            starts.append(len(lines))
            for line in self.render_row(index, width, index == self.cursor):
                text = to_text(line, palette)
                lines.append(Strip(text.render(console), text.cell_len))
                line_row.append(index)
        grew = len(lines) != len(self._lines)
        self._lines, self._line_row, self._row_start = lines, line_row, starts
        self.virtual_size = Size(width, len(lines))
        self.refresh(layout=grew)  # an auto height follows the number of lines

    def on_resize(self, event: events.Resize) -> None:
        """Re-render rows at the new width."""
        self._relayout()
        self._scroll_to_cursor()

    def notify_style_update(self) -> None:
        """A theme or class change: the cached lines hold old colours."""
        super().notify_style_update()
        if self.is_attached:  # after the refresh: component styles update after this node's
            self.call_after_refresh(self._relayout)

    def render_line(self, y: int) -> Strip:
        """One line of the visible region."""
        index = round(self.scroll_offset.y) + y
        width = self.size.width
        base = self.rich_style
        if index >= len(self._lines):
            return Strip.blank(width, base)
        strip = self._lines[index].crop_extend(0, width, None)
        row = self._line_row[index]
        if row == self.cursor and self._row_start[row] == index and self.highlighted_key:
            cursor = self.get_component_rich_style("cursor-list--cursor")
            strip = Strip(Segment.apply_style(strip, post_style=cursor), width)
        return strip.apply_style(base)

    # ---- cursor ---------------------------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        """Re-render (the highlighted row may grow) and keep it in view."""
        self._relayout()
        self._scroll_to_cursor()
        self._announce()

    def _announce(self) -> None:
        key = self.highlighted_key
        if key is not None and key != self._announced:
            self._announced = key
            self.cursor_moved(key)

    def _scroll_to_cursor(self) -> None:
        if not self._row_start or self.cursor >= len(self._row_start):
            return
        row = self.cursor
        # A row that opens a section brings its header into view with it.
        top_row = row - 1 if row > 0 and self._keys[row - 1] is None else row
        top = self._row_start[top_row]
        bottom = (self._row_start[row + 1] if row + 1 < len(self._row_start)
                  else len(self._lines))
        height = self.scrollable_content_region.height
        if top < self.scroll_offset.y:
            self.scroll_to(y=top, animate=False, immediate=True, force=True)
        elif bottom > self.scroll_offset.y + height:
            self.scroll_to(y=max(bottom - height, 0), animate=False, immediate=True, force=True)

    def _nearest(self, start: int, step: int) -> int:
        """The first selectable row from `start` in direction `step`; -1 when none."""
        index = start
        while 0 <= index < len(self._keys):
            if self._keys[index] is not None:
                return index
            index += step
        return -1

    def _move(self, start: int, step: int) -> None:
        index = self._nearest(start, step)
        if index >= 0:
            self.cursor = index

    def action_cursor_up(self) -> None:
        """Move to the previous selectable row."""
        self._move(self.cursor - 1, -1)

    def action_cursor_down(self) -> None:
        """Move to the next selectable row."""
        self._move(self.cursor + 1, 1)

    def action_cursor_first(self) -> None:
        """Move to the first selectable row."""
        self._move(0, 1)

    def action_cursor_last(self) -> None:
        """Move to the last selectable row."""
        self._move(len(self._keys) - 1, -1)

    def action_cursor_page_up(self) -> None:
        """Move up by a screenful."""
        target = max(self.cursor - self._page(), 0)
        self._move(target, -1 if self._nearest(target, -1) >= 0 else 1)

    def action_cursor_page_down(self) -> None:
        """Move down by a screenful."""
        target = min(self.cursor + self._page(), len(self._keys) - 1)
        self._move(target, 1 if self._nearest(target, 1) >= 0 else -1)

    def _page(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def action_choose(self) -> None:
        """Enter: act on the highlighted row."""
        key = self.highlighted_key
        if key is not None:
            self.row_chosen(key)

    def on_click(self, event: events.Click) -> None:
        """A click moves the cursor to the row clicked."""
        index = round(self.scroll_offset.y) + event.y
        if 0 <= index < len(self._line_row) and self._keys[self._line_row[index]] is not None:
            self.cursor = self._line_row[index]
