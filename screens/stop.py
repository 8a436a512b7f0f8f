"""What Ctrl-C did: the run stops at the next safe point; Ctrl-C again aborts."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from widgets.text import inert


class StopScreen(ModalScreen[None]):
    """Tells the operator the app quits once the running step reaches a safe point."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_note", "Keep watching", id="stop_close"),
    ]
    DEFAULT_CSS = """
    StopScreen { align: center middle; }
    StopScreen > Vertical { width: 80%; max-width: 90; height: auto; border: thick $warning;
                            background: $surface; padding: 1 2; }
    """

    def __init__(self, step_title: str, must_finish: bool) -> None:
        """Name the running step and whether it is one that is never cut half-way."""
        super().__init__()
        self.step_title, self.must_finish = step_title, must_finish

    def compose(self) -> ComposeResult:
        """The message."""
        why = ("it changes the cluster in a way that must not be cut half-way, so it finishes "
               "first" if self.must_finish else "it is stopped at its next safe point")
        with Vertical():
            yield Static(f"Stopping: the step “{inert(self.step_title)}” is running; {why}.\n"
                         "The app quits when it is safe, and the incident stays open: "
                         "`rollback resume` continues it.\n\n"
                         "Ctrl-C again aborts now (the step is marked interrupted).",
                         id="stop-body")

    def action_dismiss_note(self) -> None:
        """Close the note (the stop stands)."""
        self.dismiss(None)
