"""A step that was running when the last session died and that must not simply run again
(a point of no return): show what is known, and let the operator decide."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from widgets.text import inert


class InterruptedStepScreen(ModalScreen[str | None]):
    """Answers "rerun", "skip" or None (decide later)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "answer('rerun')", "Run it again", id="interrupted_rerun"),
        Binding("s", "answer('skip')", "Skip it (with a reason)", id="interrupted_skip"),
        Binding("escape", "answer(None)", "Decide later", id="interrupted_later"),
    ]
    DEFAULT_CSS = """
    InterruptedStepScreen { align: center middle; }
    InterruptedStepScreen > Vertical { width: 90%; max-width: 110; height: auto;
        border: thick $error; background: $surface; padding: 1 2; }
    """

    def __init__(self, message: str) -> None:
        """What is known about the interrupted step."""
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        """The facts and the choices."""
        with Vertical():
            yield Static("INTERRUPTED — POINT OF NO RETURN", classes="title")
            yield Static(inert(self.message))
            yield Static("\nr  run it again (you will confirm it)\ns  skip it, saying why "
                         "(e.g. it completed: checked by hand)\nEsc  decide later")
        yield Footer()

    def action_answer(self, answer: str | None) -> None:
        """The operator's choice."""
        self.dismiss(answer)
