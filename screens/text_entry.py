"""A one-field dialog: a note, a skip reason, who verified."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from widgets.text import inert


class TextEntryScreen(ModalScreen[str | None]):
    """Ask for one line of text; Enter gives it (if not empty), Esc gives None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="entry_cancel"),
    ]
    DEFAULT_CSS = """
    TextEntryScreen { align: center middle; }
    TextEntryScreen > Vertical { width: 90%; max-width: 100; height: auto;
                                 border: thick $accent; background: $surface; padding: 1 2; }
    TextEntryScreen #entry-problem { color: $error; }
    """

    def __init__(self, title: str, prompt: str, *, value: str = "",
                 required: bool = True) -> None:
        """`title` heads the dialog, `prompt` says what to type."""
        super().__init__()
        self.title_text, self.prompt, self.value, self.required = title, prompt, value, required

    def compose(self) -> ComposeResult:
        """Title, prompt and the field."""
        with Vertical():
            yield Static(inert(self.title_text), classes="entry-title")
            yield Static(inert(self.prompt), classes="entry-prompt")
            yield Input(value=self.value, id="entry-input")
            yield Static("", id="entry-problem")
        yield Footer()

    def on_mount(self) -> None:
        """Type straight away."""
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if self.required and not text:
            self.query_one("#entry-problem", Static).update("this needs some text (Esc cancels)")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        """Nothing."""
        self.dismiss(None)
