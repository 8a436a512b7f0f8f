"""The drawing engine under the pod panel: Line API rendering of only the lines on screen, and
repainting only the lines whose pod, row or cursor differ from what was last painted.

Every painted row line remembers what it showed (uid, row object, cursor, clock texts); after
any change the engine compares each screen line with the model and repaints the ones that
differ — changed pods, moved pods and the cursor, nothing else. While the operator is pressing
keys, data repaints wait briefly and ride along with the next key's frame, so a live feed never
delays the frame that shows the cursor move.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.content import Content
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.domain.pods import PodRow
from tui.domain.rollout import ReplicaSetInfo
from widgets.feed_status import FeedStatus, stale_text
from widgets.pod_columns import (
    Column,
    Layout,
    Piece,
    choose_columns,
    header_pieces,
    row_pieces,
    time_texts,
)
from widgets.pod_view import PodCounts, PodOrder, cells, name_cells, problem_pieces, title_pieces
from widgets.text import fit, inert

ROLES = ("ready", "running-not-ready", "failing", "pending", "terminating", "completed",
         "unknown", "warn", "muted", "header", "header-sorted", "filter", "stale", "title",
         "cursor", "cursor-blurred")
INPUT_FIRST = 0.25  # seconds after a key during which data repaints wait for the next key
Painted = tuple[str, PodRow | None, bool, tuple[str, str]]


class PodLines(ScrollView):
    """Pods as lines: the model (order, counts), the cursor, and minimal repaints."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"pod-panel--{role}" for role in ROLES}

    def __init__(self, *, label: str, sort: Column, clock: Callable[[], float],
                 name: str | None, id: str | None, classes: str | None) -> None:
        """An empty view titled `label`; `clock` gives epoch seconds (AGE, staleness)."""
        super().__init__(name=name, id=id, classes=classes)
        self.label, self.clock = label, clock
        self.order = PodOrder(sort)
        self.counts = PodCounts()
        self.replicasets: Mapping[str, ReplicaSetInfo] = {}
        self.status: FeedStatus | None = None
        self.filter_text = ""
        self.editing = False
        self.cursor_uid: str | None = None
        self.loaded = False
        self._cursor_index = 0
        self._received = 0.0
        self._last_input = float("-inf")
        self._sync_pending = False
        self._styles: dict[tuple[str, bool, bool], Style] = {}
        self._layout_key: tuple[int, int] = (-1, -1)
        self._layout: Layout = ()
        self._painted: dict[int, Painted] = {}
        self._title_plain = ""

    # ---- geometry and the cursor -----------------------------------------------------------
    @property
    def cursor_index(self) -> int | None:
        """The cursor's display line among the visible pods (None when there are none)."""
        index = self.order.index_of(self.cursor_uid)
        if index is not None or not len(self.order):
            return index
        return min(self._cursor_index, len(self.order) - 1)

    @property
    def cursor_row(self) -> PodRow | None:
        """The pod under the cursor."""
        index = self.cursor_index
        uid = self.order.uid_at(index) if index is not None else None
        return self.order.rows.get(uid) if uid is not None else None

    @property
    def _top(self) -> int:
        """Fixed lines above the rows: the filter line (when filtering), the header."""
        return 2 if (self.editing or self.filter_text) else 1

    @property
    def _rows_on_screen(self) -> int:
        return max(self.scrollable_content_region.height - self._top, 0)

    def _anchor(self) -> tuple[str | None, int]:
        """The pod that must keep its screen line: the cursor's if on screen, else the top."""
        top = round(self.scroll_y)
        index = self.cursor_index
        if index is not None and top <= index < top + self._rows_on_screen:
            return self.cursor_uid, index - top
        return self.order.uid_at(top), 0

    def _settle(self, anchor: tuple[str | None, int]) -> None:
        """After the model changed: the cursor keeps its pod (else its line), the anchor pod
        keeps its screen line, and the lines that differ are repainted."""
        count = len(self.order)
        index = self.order.index_of(self.cursor_uid)
        if index is not None:
            self._cursor_index = index
        elif count:
            self._cursor_index = min(self._cursor_index, count - 1)
            self.cursor_uid = self.order.uid_at(self._cursor_index)
        else:
            self.cursor_uid = None
        self._sync_size()
        uid, offset = anchor
        index = self.order.index_of(uid)
        if index is not None and index - offset != round(self.scroll_y):
            self.scroll_to(y=max(index - offset, 0), animate=False)
        self._schedule_sync()

    def _sync_size(self) -> None:
        size = Size(self.scrollable_content_region.width, len(self.order) + self._top)
        if size != self.virtual_size:
            self.virtual_size = size

    def move_cursor(self, index: int) -> None:
        """Put the cursor on display line `index` (clamped) and scroll it into view."""
        self._last_input = time.monotonic()
        count = len(self.order)
        if not count:
            return
        index = max(0, min(index, count - 1))
        self.cursor_uid, self._cursor_index = self.order.uid_at(index), index
        top, height = round(self.scroll_y), self._rows_on_screen
        if index < top:
            self.scroll_to(y=index, animate=False)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False)
        self._sync_lines()

    # ---- repainting ------------------------------------------------------------------------
    def _schedule_sync(self) -> None:
        """Repaint what changed now, or with the next key's frame while keys are coming."""
        waited = time.monotonic() - self._last_input
        if waited >= INPUT_FIRST:
            self._sync_lines()
        elif not self._sync_pending:
            self._sync_pending = True
            self.set_timer(INPUT_FIRST - waited, self._sync_lines)

    def _sync_lines(self) -> None:
        """Repaint each row line whose pod, row or cursor differs from what it shows."""
        self._sync_pending = False
        top, rows, cursor = round(self.scroll_y), self.order.rows, self.cursor_uid
        painted, uid_at = self._painted, self.order.uid_at
        for line in range(self._rows_on_screen):
            uid = uid_at(top + line)
            was = painted.get(line)
            if uid is None:
                if was is not None:
                    self._refresh_row_line(line)
            elif was is None or was[0] != uid or was[1] is not rows[uid] or (
                    was[2] != (uid == cursor)):
                self._refresh_row_line(line)
        self._show_title()

    def _refresh_row_line(self, line: int) -> None:
        self.refresh(Region(0, self._top + line, self.size.width, 1))

    def _refresh_fixed(self) -> None:
        """The filter line and the header changed, or the rows moved under them."""
        self._painted.clear()
        self._sync_size()
        self.refresh()

    def tick(self) -> None:
        """Repaint the lines whose AGE or restart age changed, and the stale marker."""
        now = self.clock()
        for line, (_, row, _, texts) in list(self._painted.items()):
            if row is not None and time_texts(row, now) != texts:
                self._refresh_row_line(line)
        if self.status is not None:
            self._show_title()

    # ---- the title -------------------------------------------------------------------------
    def _stale(self) -> str:
        return stale_text(self.status, self.clock(), self._received)

    def _titles(self) -> tuple[list[Piece], list[Piece]]:
        """The top border's pieces and the bottom border's: problems join the title when the
        whole fits, else they go to the bottom border rather than being cut off."""
        title: list[Piece] = [(inert(self.label, 40) + "  ", "title")]
        if stale := self._stale():
            title += [(f" {stale} ", "stale"), ("  ", "")]
        title += title_pieces(self.counts, self.replicasets)
        problems = problem_pieces(self.counts)
        if problems and cells(title) + 3 + cells(problems) <= self.outer_size.width - 4:
            return [*title, (" · ", ""), *problems], []
        return title, problems

    def _show_title(self) -> None:
        title, subtitle = self._titles()
        plain = "\x00".join(f"{text}\x01{role}" for text, role in [*title, ("|", ""), *subtitle])
        if plain == self._title_plain:
            return
        self._title_plain = plain
        # The border_title setter repaints the whole widget; counts change with most
        # snapshots, so set the titles directly and repaint the two border lines alone.
        self._border_title = Content.from_rich_text(self._text(title))
        self._border_subtitle = Content.from_rich_text(self._text(subtitle)) if subtitle else None
        left, top = self.content_offset
        width, height = self.outer_size
        self.refresh(Region(-left, -top, width, 1), Region(-left, height - 1 - top, width, 1))

    def _text(self, pieces: list[Piece]) -> Text:
        text = Text(no_wrap=True, end="")
        for chunk, role in pieces:
            text.append(chunk, self._style(role) if role else None)
        return text

    # ---- rendering -------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        """The theme or CSS changed: forget the resolved styles."""
        super().notify_style_update()
        self._styles.clear()
        self._title_plain = ""

    def _style(self, role: str, cursor: bool = False, dim: bool = False) -> Style:
        key = (role, cursor, dim)
        style = self._styles.get(key)
        if style is None:
            # On the widget's own style (segments carry their colours and background), full
            # component styles: theme colours like `$text-muted` blend with the background.
            parts = [self.rich_style]
            if role:
                parts.append(self.get_component_rich_style(f"pod-panel--{role}"))
            if cursor and self.has_focus:
                parts.append(self.get_component_rich_style("pod-panel--cursor"))
            elif cursor:
                # Without focus only the background marks the cursor; status colours stay.
                blurred = self.get_component_rich_style("pod-panel--cursor-blurred")
                parts.append(Style(bgcolor=blurred.bgcolor))
            if dim:
                parts.append(Style(dim=True))
            style = self._styles[key] = Style.combine(parts)
        return style

    def _columns(self, width: int) -> Layout:
        key = (width, name_cells(self.order))
        if key != self._layout_key:
            self._layout_key, self._layout = key, choose_columns(*key)
        return self._layout

    def _strip(self, pieces: list[Piece], width: int, cursor: bool = False,
               dim: bool = False) -> Strip:
        segments = [Segment(text, self._style(role, cursor, dim)) for text, role in pieces]
        return Strip(segments).adjust_cell_length(width, self._style("", cursor, dim))

    def render_line(self, y: int) -> Strip:
        """One line on screen: the filter, the header, or the pod at this scroll position."""
        width = self.scrollable_content_region.width
        layout = self._columns(width)
        top = self._top
        if y < top:
            if y == 0 and top == 2:
                return self._strip(self._filter_pieces(), width)
            return self._strip(header_pieces(layout, self.order.sort, self.order.reverse), width)
        line = y - top
        uid = self.order.uid_at(round(self.scroll_y) + line)
        if uid is None:
            if line == 0:
                self._painted[line] = ("", None, False, ("", ""))
                return self._strip([(self._empty_text(), "muted")], width)
            self._painted.pop(line, None)
            return Strip.blank(width, self.rich_style)
        row = self.order.rows[uid]
        now = self.clock()
        cursor = uid == self.cursor_uid
        self._painted[line] = (uid, row, cursor, time_texts(row, now))
        pieces = row_pieces(row, layout, now, self.replicasets.get(row.pod_template_hash))
        return self._strip(pieces, width, cursor=cursor, dim=bool(self._stale()))

    def _filter_pieces(self) -> list[Piece]:
        shown, total = len(self.order), len(self.order.rows)
        caret = "▏" if self.editing else ""
        hint = "⏎ keep · esc clear" if self.editing else "/ edit · esc clear"
        return [("/ ", "filter"), (inert(self.filter_text, 60) + caret, "filter"),
                (f"   {shown:,} of {total:,} pods match · {hint}", "muted")]

    def _empty_text(self) -> str:
        if self.filter_text:
            return f"  no pod matches {fit(inert(self.filter_text), 40).rstrip()}"
        return "  no pods" if self.loaded else "  waiting for the pod list…"

    # ---- events ----------------------------------------------------------------------------
    def on_mount(self) -> None:
        """Tick once a second: AGE cells and the STALE countdown move with the clock."""
        self._show_title()
        self.set_interval(1.0, self.tick)

    def on_resize(self) -> None:
        """A new width may fit other columns; a new height shows other rows."""
        self._refresh_fixed()
        self._title_plain = ""
        self._show_title()

    def on_focus(self) -> None:
        """The cursor line looks different with focus."""
        self._styles.clear()
        self._refresh_fixed()

    def on_blur(self) -> None:
        """The cursor line looks different without focus."""
        self._styles.clear()
        self._refresh_fixed()
