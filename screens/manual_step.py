"""A manual step: what to do by hand (and the message to post, copyable), then mark it done."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from tui.domain.runbook import Step
from widgets.text import inert, inert_lines


def manual_text(step: Step, instructions: str, message: str, command: str | None) -> Text:
    """Instructions, the message to post, the command to run, what to expect (inert)."""
    text = Text()
    text.append(inert(step.title) + "\n\n", style="bold")
    for line in inert_lines(instructions):
        text.append(line + "\n")
    if message:
        text.append("\nmessage to post (y copies it):\n", style="bold")
        for line in inert_lines(message):
            text.append("  " + line + "\n")
    if command:
        text.append("\ncommand:\n", style="bold")
        text.append("  $ " + inert(command) + "\n")
    if step.expected:
        text.append("\nexpect: ", style="bold")
        text.append(inert(step.expected) + "\n")
    if step.verification:
        text.append("verify: ", style="bold")
        text.append(inert(step.verification) + "\n")
    text.rstrip()
    return text


class ManualStepScreen(ModalScreen[bool]):
    """Show a manual step; Enter marks it done (journaled), Esc leaves it open."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "done", "Mark done", id="manual_done", priority=True),
        Binding("y", "copy", "Copy message", id="manual_copy"),
        Binding("escape", "cancel", "Not yet", id="manual_cancel"),
    ]
    DEFAULT_CSS = """
    ManualStepScreen { align: center middle; }
    ManualStepScreen > VerticalScroll { width: 90%; max-width: 110; height: auto;
        max-height: 90%; border: thick $accent; background: $surface; padding: 1 2; }
    """

    def __init__(self, step: Step, instructions: str, message: str,
                 command: str | None) -> None:
        """The step and its rendered instructions, message and command."""
        super().__init__()
        self.step, self.instructions, self.message = step, instructions, message
        self.command = command

    def compose(self) -> ComposeResult:
        """The instructions."""
        with VerticalScroll():
            yield Static(manual_text(self.step, self.instructions, self.message, self.command))
        yield Footer()

    def action_copy(self) -> None:
        """Copy the message (or the command) through the terminal (works over SSH)."""
        payload = self.message or self.command or ""
        if payload:
            self.app.copy_to_clipboard(payload)
            self.notify("copied to the clipboard", timeout=2)

    def action_done(self) -> None:
        """Done by hand."""
        self.dismiss(True)

    def action_cancel(self) -> None:
        """Not yet."""
        self.dismiss(False)
