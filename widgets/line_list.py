"""Lists the operator writes line by line: `EditableList` (lines above the fields that add
one; Delete on the highlighted line asks for it to go) and `LineList`, its one-field form for
the five whys, each fishbone category's causes, lessons and prevention measures.

The widgets only show what they are given and say what the operator asked for (`Added`,
`Removed`, …); the screen journals the change and gives the new lines back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from widgets.text import inert


def row_text(label: str, text: str) -> Text:
    """`Why? the pool was exhausted`: the label bold, the data inert."""
    return Text.assemble((f"{label} " if label else "", "bold"), inert(text))


class EditableList(Vertical):
    """Lines in an option list above the fields that add one; the keys of `LINE_ACTIONS`
    apply to the highlighted line of a writable list."""

    DEFAULT_CSS = """
    EditableList { height: auto; border: round $primary 60%; padding: 0 1; }
    EditableList:focus-within { border: round $primary; }
    EditableList > OptionList { height: auto; max-height: 12; border: none; padding: 0; }
    EditableList.-empty > OptionList { display: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("delete,backspace", "remove", "Remove line", id="editable_list.remove"),
    ]
    LINE_ACTIONS: ClassVar[tuple[str, ...]] = ("remove",)

    def __init__(self, *, read_only: bool = False, title: str = "", id: str | None = None,
                 classes: str | None = None) -> None:
        """`title` goes in the border; a read-only list takes no changes."""
        super().__init__(id=id, classes=classes)
        self.read_only = read_only
        self.border_title = title

    def show_lines(self, lines: list[Text]) -> None:
        """Show these lines, keeping the highlight where it was."""
        options = self.query_one(OptionList)
        highlighted = options.highlighted
        options.set_options([Option(line) for line in lines])
        if lines and highlighted is not None:
            options.highlighted = min(highlighted, len(lines) - 1)
        self.set_class(not lines, "-empty")
        self.refresh_bindings()

    @property
    def highlighted(self) -> int | None:
        """The highlighted line (0-based), if any."""
        return self.query_one(OptionList).highlighted

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Arriving at the lines highlights the first, so Delete has something to act on."""
        options = self.query_one(OptionList)
        if event.widget is options and options.highlighted is None and options.option_count:
            options.highlighted = 0
        self.refresh_bindings()

    @on(OptionList.OptionHighlighted)
    def _moved(self, _event: OptionList.OptionHighlighted) -> None:
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Line actions apply to a highlighted line of a writable list."""
        if action in self.LINE_ACTIONS:
            options = self.query_one(OptionList)
            return options.has_focus and options.highlighted is not None and \
                not self.read_only
        return True

    def action_remove(self) -> None:
        """Ask for the highlighted line to be taken out."""
        if self.highlighted is not None:
            self.post_message(self.removal(self.highlighted))

    def removal(self, index: int) -> Message:
        """The message asking for line `index` to go."""
        raise NotImplementedError


class LineList(EditableList):
    """Lines with a label each, a field to add one, Delete to remove the highlighted one."""

    DEFAULT_CSS = """
    LineList > Input { margin: 0; }
    """
    rows: reactive[tuple[tuple[str, str], ...]] = reactive(tuple, init=False)
    """(label, text) of each line, in order."""

    @dataclass
    class Added(Message):
        """The operator typed a new line."""

        key: str
        text: str

    @dataclass
    class Removed(Message):
        """The operator asked to take line `index` (0-based) out."""

        key: str
        index: int

    def __init__(self, key: str, *, title: str = "", placeholder: str = "add a line (Enter)",
                 read_only: bool = False, id: str | None = None,
                 classes: str | None = None) -> None:
        """`key` names the list in its messages; `title` goes in the border."""
        super().__init__(read_only=read_only, title=title, id=id, classes=classes)
        self.key, self.placeholder = key, placeholder

    def compose(self) -> ComposeResult:
        """The lines and the field."""
        yield OptionList(markup=False, compact=True)
        yield Input(placeholder=self.placeholder, compact=True, disabled=self.read_only)

    def on_mount(self) -> None:
        """Start empty."""
        self.watch_rows(self.rows)

    def watch_rows(self, rows: tuple[tuple[str, str], ...]) -> None:
        """Show the lines."""
        self.show_lines([row_text(label, text) for label, text in rows])

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if text:
            self.post_message(self.Added(self.key, text))
            event.input.value = ""

    def removal(self, index: int) -> Message:
        """`Removed` for this list."""
        return self.Removed(self.key, index)
