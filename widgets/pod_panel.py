"""The live pod panel: kubectl's columns for tens of thousands of pods, drawn with the Line API.

Only the lines on screen are ever rendered, and applying a snapshot repaints only the lines
whose pod changed or moved (see `widgets.pod_lines`); the cursor stays on its pod (by uid) and
the pod under the eye stays on its screen line across changes and re-lists. Data arrives from
the screen as snapshots (`apply`), ReplicaSets (`set_replicasets`) and the feed's status
(`set_status`); the panel does no I/O.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import ClassVar, Protocol

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message

from tui.domain.gc_pause import gc_paused
from tui.domain.pods import PodRow
from tui.domain.rollout import ReplicaSetInfo
from widgets.feed_status import FeedStatus
from widgets.pod_columns import Column
from widgets.pod_lines import PodLines
from widgets.pod_view import PodCounts


class PodSnapshot(Protocol):
    """What the panel reads from a reflector's snapshot (rows keyed by uid, what changed)."""

    @property
    def rows(self) -> Mapping[str, PodRow]: ...
    @property
    def added(self) -> AbstractSet[str]: ...
    @property
    def changed(self) -> AbstractSet[str]: ...
    @property
    def removed(self) -> AbstractSet[str]: ...
    @property
    def relisted(self) -> bool: ...


class PodPanel(PodLines, can_focus=True):
    """The pods of a Deployment as `kubectl get pods` shows them, live, sortable, filterable."""

    DEFAULT_CSS = """
    PodPanel { border: round $primary-muted; height: 1fr; overflow-x: hidden;
        scrollbar-size-vertical: 1; border-title-color: $text; }
    PodPanel:focus { border: round $primary; }
    PodPanel.-stale { border: round $warning; }
    PodPanel > .pod-panel--ready { color: $text-success; }
    PodPanel > .pod-panel--running-not-ready { color: $text-warning; }
    PodPanel > .pod-panel--failing { color: $text-error; text-style: bold; }
    PodPanel > .pod-panel--pending { color: $text-primary; }
    PodPanel > .pod-panel--terminating { color: $text-muted; text-style: italic; }
    PodPanel > .pod-panel--completed { color: $text-muted; }
    PodPanel > .pod-panel--unknown { color: $text-warning; }
    PodPanel > .pod-panel--warn { color: $text-warning; }
    PodPanel > .pod-panel--muted { color: $text-muted; }
    PodPanel > .pod-panel--header { color: $text-muted; text-style: bold; }
    PodPanel > .pod-panel--header-sorted { color: $text; text-style: bold underline; }
    PodPanel > .pod-panel--filter { color: $text-primary; text-style: bold; }
    PodPanel > .pod-panel--stale { color: $text-warning; text-style: bold reverse; }
    PodPanel > .pod-panel--title { text-style: bold; }
    PodPanel > .pod-panel--cursor { background: $block-cursor-background;
        color: $block-cursor-foreground; text-style: bold; }
    PodPanel > .pod-panel--cursor-blurred { background: $block-cursor-blurred-background; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", id="pods_up", show=False),
        Binding("down", "cursor(1)", "Down", id="pods_down", show=False),
        Binding("pageup", "page(-1)", "Page up", id="pods_page_up", show=False),
        Binding("pagedown", "page(1)", "Page down", id="pods_page_down", show=False),
        Binding("home", "edge(0)", "First pod", id="pods_first", show=False),
        Binding("end", "edge(1)", "Last pod", id="pods_last", show=False),
        Binding("enter", "details", "Pod details", id="pods_details"),
        Binding("slash", "filter", "Filter", id="pods_filter"),
        Binding("u,exclamation_mark", "unhealthy", "Next unhealthy", id="pods_unhealthy"),
        Binding("s", "sort_next", "Sort", id="pods_sort"),
        Binding("S", "sort_reverse", "Reverse sort", id="pods_sort_reverse", show=False),
        Binding("escape", "clear_filter", "Clear filter", id="pods_clear_filter"),
    ]

    class DetailsRequested(Message):
        """Enter on a pod: the screen fetches its details and opens the details view."""

        def __init__(self, uid: str, name: str, namespace: str, panel: PodPanel) -> None:
            """Which pod (uid, and name/namespace for the API calls)."""
            super().__init__()
            self.uid, self.name, self.namespace, self.panel = uid, name, namespace, panel

        @property
        def control(self) -> PodPanel:
            """The panel that asked."""
            return self.panel

    def __init__(self, *, label: str = "Pods", sort: Column = Column.NAME,
                 clock: Callable[[], float] = time.time, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        """An empty panel titled `label`; `clock` gives epoch seconds (AGE, staleness)."""
        super().__init__(label=label, sort=sort, clock=clock, name=name, id=id,
                         classes=classes)

    # ---- data in ---------------------------------------------------------------------------
    def apply(self, snapshot: PodSnapshot) -> None:
        """Take a snapshot (in order, every one): count and re-order only what changed."""
        anchor = self._anchor()
        old_rows, rows = self.order.rows, snapshot.rows
        touched: AbstractSet[str] = snapshot.added | snapshot.changed | snapshot.removed
        # A re-list after a reconnect usually changes few pods: those move in place. The first
        # list, many changes, or counts that disagree with the rows (a snapshot was missed)
        # order everything afresh.
        if (not self.loaded or (snapshot.relisted and len(touched) > len(rows) // 8)
                or len(touched) > len(rows) // 2):
            self._rebuild(rows)
        else:
            for uid in touched:
                if (old := old_rows.get(uid)) is not None:
                    self.counts.remove(old)
                if (new := rows.get(uid)) is not None:
                    self.counts.add(new)
            self.order.update(rows, touched)
            if self.counts.total != len(rows):
                self._rebuild(rows)
        self.loaded = True
        self._settle(anchor)

    def _rebuild(self, rows: Mapping[str, PodRow]) -> None:
        # Tens of thousands of keys and no cycles: a collection mid-way would only walk them.
        with gc_paused():
            self.counts = PodCounts.of(rows.values())
            self.order.rebuild(rows)

    def set_replicasets(self, replicasets: Mapping[str, ReplicaSetInfo] | Iterable[
            ReplicaSetInfo]) -> None:
        """The Deployment's ReplicaSets (the infos, or a mapping by pod-template-hash)."""
        infos = replicasets.values() if isinstance(replicasets, Mapping) else replicasets
        anchor = self._anchor()
        self.replicasets = {rs.pod_template_hash: rs for rs in infos}
        self.order.set_replicasets(self.replicasets)
        self._settle(anchor)
        self._refresh_fixed()  # every REV/VERSION cell may read differently

    def set_status(self, status: FeedStatus) -> None:
        """The feed's status: while it retries the rows stay, dimmed, under a STALE marker."""
        was = bool(self._stale())
        self.status, self._received = status, self.clock()
        stale = bool(self._stale())
        self.set_class(stale, "-stale")
        if stale != was:
            self._refresh_fixed()
        self._show_title()

    # ---- the cursor ------------------------------------------------------------------------
    def action_cursor(self, delta: int) -> None:
        """Move the cursor up or down."""
        self.move_cursor((self.cursor_index or 0) + delta)

    def action_page(self, direction: int) -> None:
        """Move the cursor a screenful."""
        self.move_cursor((self.cursor_index or 0) + direction * max(self._rows_on_screen - 1, 1))

    def action_edge(self, end: int) -> None:
        """The first or the last pod."""
        self.move_cursor(len(self.order) - 1 if end else 0)

    def action_unhealthy(self) -> None:
        """The next failing (else not ready or pending) pod after the cursor, wrapping."""
        if not len(self.order):
            return
        index = self.cursor_index
        found = self.order.next_unhealthy(index if index is not None else -1)
        if found is None:
            self.notify("every pod shown is ready (or terminating or completed)", timeout=3)
            return
        self.move_cursor(found)

    def action_details(self) -> None:
        """Ask the screen for the pod's details."""
        row = self.cursor_row
        if row is not None:
            self.post_message(self.DetailsRequested(row.uid, row.name, row.namespace, self))

    def on_click(self, event: events.Click) -> None:
        """A click on a pod puts the cursor there."""
        offset = event.get_content_offset(self)
        if offset is not None and offset.y >= self._top:
            self.move_cursor(round(self.scroll_y) + offset.y - self._top)

    # ---- sort and filter -------------------------------------------------------------------
    def sort_by(self, column: Column, reverse: bool = False) -> None:
        """Sort by `column`, keeping the cursor's pod on its screen line."""
        self._last_input = time.monotonic()
        anchor = self._anchor()
        self.order.set_sort(column, reverse)
        self._settle(anchor)
        self._refresh_fixed()

    def action_sort_next(self) -> None:
        """Sort by the next column shown."""
        shown = [c for c, _ in self._columns(self.scrollable_content_region.width)]
        current = self.order.sort
        following = shown[(shown.index(current) + 1) % len(shown)] if current in shown else (
            shown[0])
        self.sort_by(following)

    def action_sort_reverse(self) -> None:
        """Reverse the sort."""
        self.sort_by(self.order.sort, not self.order.reverse)

    def set_filter(self, text: str) -> None:
        """Show only pods matching every word of `text` (name, status, node, version)."""
        self._last_input = time.monotonic()
        anchor = self._anchor()
        self.filter_text = text
        self.order.set_filter(text)
        if self.order.index_of(self.cursor_uid) is None:
            self.cursor_uid, self._cursor_index = None, 0
            anchor = (None, 0)
            self.scroll_to(y=0, animate=False)
        self._settle(anchor)
        self._refresh_fixed()

    def action_filter(self) -> None:
        """Start typing a filter."""
        self.editing = True
        self._refresh_fixed()

    def action_clear_filter(self) -> None:
        """Drop the filter."""
        self.editing = False
        self.set_filter("")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Esc is ours only while there is a filter; otherwise the screen's."""
        if action == "clear_filter":
            return self.editing or bool(self.filter_text)
        return True

    def on_key(self, event: events.Key) -> None:
        """While the filter is open, typing edits it (and no other binding fires)."""
        if not self.editing:
            return
        if event.key == "escape":
            self.action_clear_filter()
        elif event.key == "enter":
            self.editing = False
            self._refresh_fixed()
        elif event.key == "backspace":
            self.set_filter(self.filter_text[:-1])
        elif event.is_printable and event.character:
            self.set_filter(self.filter_text + event.character)
        else:
            return  # arrows and pages still move the cursor while filtering
        event.stop()
        event.prevent_default()
