"""The facilitator's dialog: the drill's twists, one a line; Enter fires the highlighted one."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from widgets.text import inert


class TwistPickerScreen(ModalScreen[str | None]):
    """Pick a twist to fire now (its default argument); Esc fires nothing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="twist_cancel"),
    ]
    DEFAULT_CSS = """
    TwistPickerScreen { align: center middle; }
    TwistPickerScreen > Vertical { width: 90%; max-width: 110; height: auto;
                                   border: thick $warning; background: $surface; padding: 1 2; }
    TwistPickerScreen OptionList { height: auto; max-height: 16; }
    """

    def __init__(self, catalogue: list[dict[str, Any]]) -> None:
        """`catalogue`: the drill's twists ({"event", "argument", "detail"} each)."""
        super().__init__()
        self.catalogue = catalogue

    def compose(self) -> ComposeResult:
        """Title, what happens, the twists."""
        with Vertical():
            yield Static("Facilitator: fire a twist", classes="entry-title")
            yield Static("The drill changes at once; the twist is journaled and shown when it "
                         "lands. Arguments (e.g. user-reports=3): rollback drill twist.",
                         classes="entry-prompt")
            yield OptionList(*(Option(Text(inert(f"{k.get('event')}  —  {k.get('detail')}")),
                                      id=str(k.get("event"))) for k in self.catalogue),
                             id="twist-list")
        yield Footer()

    def on_mount(self) -> None:
        """Choose straight away."""
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        """Nothing fired."""
        self.dismiss(None)
