"""Action items: `◌ 1. Add a contract test — bob — due 2026-12-04`, space marks one done,
Delete takes it out, and three fields (what, owner, due date) add one — the date checked as
YYYY-MM-DD before anything is asked of the screen."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, OptionList, Static

from tui.domain.postmortem import ActionItem, PostmortemError, parse_due
from widgets.line_list import EditableList
from widgets.text import inert


def item_text(number: int, item: ActionItem, today: date) -> Text:
    """One item: done mark, number, text, owner, due date (OVERDUE in words when late)."""
    late = not item.done and item.due < today
    return Text.assemble(
        ("✓ " if item.done else "◌ ", "bold"), f"{number}. ", inert(item.text), " — ",
        (inert(item.owner, 40), "italic"),
        (f" — due {item.due.isoformat()}", "bold" if late else ""),
        (" OVERDUE" if late else "", "bold reverse"), (" done" if item.done else "", "dim"))


class ActionItems(EditableList):
    """The record's action items, and a way to add, tick and remove them."""

    DEFAULT_CSS = """
    ActionItems > Horizontal { height: 1; }
    ActionItems #action-text { width: 1fr; }
    ActionItems #action-owner { width: 18; margin-left: 1; }
    ActionItems #action-due { width: 14; margin-left: 1; }
    ActionItems #action-problem { height: auto; color: $text-error; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle", "Done / open", id="action_items.toggle"),
    ]
    LINE_ACTIONS: ClassVar[tuple[str, ...]] = ("remove", "toggle")
    items: reactive[tuple[ActionItem, ...]] = reactive(tuple, init=False)
    """The items as journaled."""

    @dataclass
    class Added(Message):
        """A new item, its date already checked."""

        text: str
        owner: str
        due: date

    @dataclass
    class Toggled(Message):
        """Item `index` (0-based) is to be marked done (or open)."""

        index: int
        done: bool

    @dataclass
    class Removed(Message):
        """Item `index` (0-based) is to be taken out."""

        index: int

    def __init__(self, *, clock: Callable[[], float] = time.time, read_only: bool = False,
                 id: str | None = None) -> None:
        """`clock` says what day it is (for OVERDUE)."""
        super().__init__(read_only=read_only, title="Action items — owner and due date each",
                         id=id)
        self.clock = clock

    def compose(self) -> ComposeResult:
        """The items, the three fields, and what is wrong with them."""
        yield OptionList(markup=False, compact=True)
        with Horizontal():
            yield Input(placeholder="action (Enter adds)", id="action-text", compact=True,
                        disabled=self.read_only)
            yield Input(placeholder="owner", id="action-owner", compact=True,
                        disabled=self.read_only)
            yield Input(placeholder="YYYY-MM-DD", id="action-due", compact=True,
                        disabled=self.read_only)
        yield Static("", id="action-problem")

    def on_mount(self) -> None:
        """Start empty, with nothing wrong."""
        self.watch_items(self.items)
        self._problem("")

    def watch_items(self, items: tuple[ActionItem, ...]) -> None:
        """Show the items."""
        today = datetime.fromtimestamp(self.clock(), UTC).date()
        self.show_lines([item_text(n, item, today) for n, item in enumerate(items, 1)])

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        fields = {f.id: f for f in self.query(Input)}
        values = {key: (field.value or "").strip() for key, field in fields.items()}
        empty = next((key for key in ("action-text", "action-owner", "action-due")
                      if not values[key]), None)
        if empty is not None:
            fields[empty].focus()
            self._problem("" if event.input.id != "action-due" else
                          "an action item needs what, an owner and a due date")
            return
        try:
            due = parse_due(values["action-due"])
        except PostmortemError as exc:
            self._problem(str(exc))
            fields["action-due"].focus()
            self.app.bell()
            return
        self._problem("")
        self.post_message(self.Added(values["action-text"], values["action-owner"], due))
        for field in fields.values():
            field.value = ""
        fields["action-text"].focus()

    def _problem(self, text: str) -> None:
        problem = self.query_one("#action-problem", Static)
        problem.update(Text(inert(text)))
        problem.display = bool(text)

    def action_toggle(self) -> None:
        """Done ↔ open for the highlighted item."""
        index = self.highlighted
        if index is not None and index < len(self.items):
            self.post_message(self.Toggled(index, not self.items[index].done))

    def removal(self, index: int) -> Message:
        """`Removed` for item `index`."""
        return self.Removed(index)
