"""Help: every key of the screen below, and (in a drill) how to drive the cluster by hand."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static

from widgets.text import inert

if TYPE_CHECKING:
    from tui.app.application import DrillHandle


def key_table(screen: Screen, key_display: object) -> Table:
    """The keys active on `screen`, with what they do."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    seen: set[tuple[str, str]] = set()
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description:
            continue
        shown = key_display(binding) if callable(key_display) else binding.key
        if (shown, binding.description) in seen:
            continue
        seen.add((shown, binding.description))
        table.add_row(Text(str(shown)), Text(binding.description + (
            f" — {binding.tooltip}" if binding.tooltip else "")))
    table.add_row(Text("ctrl+p"), Text("command palette: every action of this screen"))
    table.add_row(Text("f2–f5"), Text("show a phase: assess, decide, execute, verify"))
    return table


def drill_text(drill: DrillHandle) -> Text:
    """The second pane's commands for this drill."""
    text = Text()
    text.append(f"Drill {inert(drill.scenario)}", style="bold")
    if drill.description:
        text.append(f" — {inert(drill.description)}")
    text.append("\n\nIn a second pane, drive the drill cluster with the real kubectl:\n\n")
    text.append(f"  export KUBECONFIG={inert(drill.kubeconfig)}\n", style="bold")
    text.append(f"  alias kubectl='kubectl --cache-dir {inert(drill.kubectl_cache_dir)}'\n")
    text.append("  kubectl get pods -w\n  kubectl rollout history deployment/checkout\n")
    text.append("\nFacilitator: ctrl+f fires a twist now (or rollback drill twist INCIDENT "
                "EVENT from a shell; --list shows them).\n")
    return text


class HelpScreen(ModalScreen[None]):
    """Keys of the screen below, and the drill's instructions."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,f1,q", "close", "Close", id="help_close"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 110; height: 85%;
                                  border: thick $accent; background: $surface; padding: 1 2; }
    HelpScreen .help-heading { text-style: bold; margin-top: 1; }
    """

    def __init__(self, below: Screen, drill: DrillHandle | None = None) -> None:
        """Read the keys of `below` now (they change once this screen is on top)."""
        super().__init__()
        self.keys = key_table(below, below.app.get_key_display)
        self.drill = drill

    def compose(self) -> ComposeResult:
        """Keys, then the drill."""
        with VerticalScroll():
            yield Static("Keys", classes="help-heading")
            yield Static(self.keys)
            if self.drill is not None:
                yield Static("Drill", classes="help-heading")
                yield Static(drill_text(self.drill))
        yield Footer()

    def action_close(self) -> None:
        """Back."""
        self.dismiss(None)
