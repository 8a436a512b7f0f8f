"""The incident's timeline on demand: every journal event as a human line, newest last."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer

from tui.domain.timeline import TimelineEntry
from widgets.timeline import Timeline


class TimelineScreen(ModalScreen[None]):
    """Shows the timeline so far and keeps following it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,t,q", "close", "Close", id="timeline_close"),
    ]
    DEFAULT_CSS = """
    TimelineScreen { align: center middle; }
    TimelineScreen > Vertical { width: 96%; height: 90%; border: round $accent;
                                background: $surface; }
    """

    def __init__(self, entries: Sequence[TimelineEntry]) -> None:
        """The app's timeline list (it keeps growing while this is open)."""
        super().__init__()
        self.entries = entries
        self._shown = 0

    def compose(self) -> ComposeResult:
        """The timeline."""
        with Vertical():
            yield Timeline(id="timeline")
        yield Footer()

    def on_mount(self) -> None:
        """Fill, focus, and poll for new entries (cheap: appends only)."""
        self.query_one(Vertical).border_title = "Timeline"
        self._catch_up()
        self.query_one(Timeline).focus()
        self.set_interval(0.25, self._catch_up)

    def _catch_up(self) -> None:
        new = self.entries[self._shown:]
        if new:
            self.query_one(Timeline).extend(new)
            self._shown += len(new)

    def action_close(self) -> None:
        """Back."""
        self.dismiss(None)
