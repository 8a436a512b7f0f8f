"""The confirmation before a step that changes things: the exact command, where, what it means;
danger and point-of-no-return steps ask for the target's name to be typed."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from tui.session.events import ConfirmationRequest
from widgets.text import inert


def confirmation_text(request: ConfirmationRequest) -> Text:
    """The dialog's body: question, where, command, request and consequences (all inert)."""
    text = Text()
    if request.point_of_no_return:
        text.append("POINT OF NO RETURN\n", style="bold reverse")
    elif request.danger:
        text.append("DANGER\n", style="bold reverse")
    text.append(inert(request.question) + "\n\n", style="bold")
    text.append("where    ", style="dim")
    text.append(inert(request.where) + "\n")
    if request.command:
        text.append("command  ", style="dim")
        text.append("$ " + inert(request.command) + "\n")
    if request.request:
        text.append("request  ", style="dim")
        text.append(inert(request.request) + "\n")
    for line in request.consequences:
        text.append("⚠ " if "lost" in line or "cannot" in line else "· ", style="bold")
        text.append(inert(line) + "\n")
    return text


class ConfirmStepScreen(ModalScreen[bool]):
    """Ask the operator's go for one step; typed confirmation for high-risk steps."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="confirm_cancel"),
        Binding("enter", "confirm", "Run it", id="confirm_run", priority=True),
    ]
    DEFAULT_CSS = """
    ConfirmStepScreen { align: center middle; }
    ConfirmStepScreen > Vertical {
        width: 90%; max-width: 110; height: auto; max-height: 100%;
        border: thick $warning; background: $surface; padding: 1 2;
    }
    ConfirmStepScreen.-danger > Vertical { border: thick $error; }
    ConfirmStepScreen #confirm-answer { dock: bottom; height: auto; }
    ConfirmStepScreen #confirm-scroll { height: auto; }
    ConfirmStepScreen #confirm-hint { color: $text-muted; margin-top: 1; }
    ConfirmStepScreen #confirm-problem { color: $error; }
    """

    def __init__(self, request: ConfirmationRequest) -> None:
        """Show `request`; the result is True only for an explicit go."""
        super().__init__()
        self.request = request
        if request.danger or request.point_of_no_return:
            self.add_class("-danger")

    def compose(self) -> ComposeResult:
        """The request (scrolls if long), and the name to type, always in view."""
        with Vertical():
            # The answer is docked: on a short terminal the request scrolls, the box to type
            # the name in never leaves the screen.
            with Vertical(id="confirm-answer"):
                name = self.request.type_to_confirm
                if name:
                    hint = Text(f"Type {inert(name)} to confirm, then Enter (Esc cancels):")
                    hint.stylize("bold", 5, 5 + len(inert(name)))
                    yield Static(hint, id="confirm-hint")
                    yield Input(id="confirm-name")
                else:
                    yield Static("Enter runs it · Esc cancels", id="confirm-hint")
                yield Static("", id="confirm-problem")
            with VerticalScroll(id="confirm-scroll"):
                yield Static(confirmation_text(self.request), id="confirm-body")
        yield Footer()

    def on_mount(self) -> None:
        """Focus the name box when there is one."""
        if self.request.type_to_confirm:
            self.query_one("#confirm-name", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    def action_confirm(self) -> None:
        """Go, if the typed name matches."""
        name = self.request.type_to_confirm
        if name:
            typed = self.query_one("#confirm-name", Input).value.strip()
            if typed != name:
                self.query_one("#confirm-problem", Static).update(
                    Text(f"type exactly {inert(name)} to run it (typed: {inert(typed)!s})"))
                self.app.bell()
                return
        self.dismiss(True)

    def action_cancel(self) -> None:
        """No: nothing runs."""
        self.dismiss(False)
