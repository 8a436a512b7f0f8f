"""`q` while a step runs: stop it at a safe point and quit, or keep going."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from widgets.text import inert


class QuitScreen(ModalScreen[bool]):
    """Ask before leaving a running step."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Stop and quit", id="quit_yes"),
        Binding("n,escape", "answer(False)", "Keep going", id="quit_no"),
    ]
    DEFAULT_CSS = """
    QuitScreen { align: center middle; }
    QuitScreen > Vertical { width: 70%; max-width: 80; height: auto; border: thick $warning;
                            background: $surface; padding: 1 2; }
    """

    def __init__(self, step_title: str) -> None:
        """Name the running step."""
        super().__init__()
        self.step_title = step_title

    def compose(self) -> ComposeResult:
        """The question."""
        with Vertical():
            yield Static(f"“{inert(self.step_title)}” is running.\n\n"
                         "y  stop at the next safe point, then quit (the incident stays open)\n"
                         "n  keep going")
        yield Footer()

    def action_answer(self, stop: bool) -> None:
        """Answer."""
        self.dismiss(stop)
