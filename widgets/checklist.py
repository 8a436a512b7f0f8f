"""The post-rollback checklist by section, with the derived SUCCESS / PARTIAL / FAILED on top.

Each item is ✓ / ✗ / ◌ with its text; automatic items show their live value or last result,
manual items are ticked with space and given a note with `n` (both only ask: the screen journals
the mark and sends the new sections down). Section headers are shown and skipped by the cursor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from tui.domain.checklist import ChecklistEntry, ChecklistSection, StatusSummary
from tui.domain.status import CheckStatus, RollbackStatus
from widgets.cursor_list import CursorList
from widgets.text import (
    CHECK_SYMBOL,
    ROLLBACK_SYMBOL,
    Line,
    component_palette,
    fit,
    inert,
    to_text,
    wrap_words,
)

ROLES = ("pass", "fail", "open", "header", "muted", "live")
BANNER_ROLES = ("success", "partial", "failed", "sentence")
MARK_ROLE = {CheckStatus.PASS: "pass", CheckStatus.FAIL: "fail", CheckStatus.OPEN: "open"}
DETAIL_LIMIT = 28  # cells the value/note beside an item may take before it is cut


def checklist_keys(sections: tuple[ChecklistSection, ...]) -> list[str | None]:
    """Row keys: None for each section header, then its items' ids."""
    keys: list[str | None] = []
    for section in sections:
        keys.append(None)
        keys += [entry.item_id for entry in section.entries]
    return keys


def header_line(section: ChecklistSection, width: int) -> Line:
    """`Post-rollback verification ……… 6/13`."""
    count = f"{section.done}/{len(section.entries)}"
    title = fit(section.title, max(width - len(count) - 2, 1))
    gap = max(width - cell_len(title) - len(count), 1)
    return [(title, "header"), (" " * gap, ""), (count, "muted")]


def item_detail(entry: ChecklistEntry, live: Mapping[str, str]) -> tuple[str, str]:
    """What stands beside an item: its live value, its last result, who ticked it, or how it
    gets decided."""
    if live.get(entry.item_id):
        return inert(live[entry.item_id]), "live"
    if entry.note:
        return inert(entry.note), "fail" if entry.status is CheckStatus.FAIL else "muted"
    if entry.status is not CheckStatus.OPEN and entry.actor and not entry.automatic:
        return f"by {inert(entry.actor)}", "muted"
    if entry.status is CheckStatus.OPEN:
        return ("auto · waiting" if entry.automatic else "manual"), "muted"
    return "", "muted"


def item_lines(entry: ChecklistEntry, live: Mapping[str, str], width: int,
               highlighted: bool = False) -> list[Line]:
    """` ✓ text …… detail`; highlighted, whatever was cut follows in full below."""
    symbol = CHECK_SYMBOL[entry.status]
    role = MARK_ROLE[entry.status]
    text = inert(entry.text)
    detail, detail_role = item_detail(entry, live)
    lead = f" {symbol} "
    room = max(width - len(lead), 1)
    # The text gets what it needs; the detail the rest, but never less than a fair share.
    spare = room - cell_len(text) - 2
    detail_cells = min(cell_len(detail), max(spare, min(DETAIL_LIMIT, room // 2 - 2), 0))
    text_room = room - detail_cells - (2 if detail_cells else 0)
    shown_text, shown_detail = fit(text, max(text_room, 1)).rstrip(), fit(detail, detail_cells)
    text_role = "fail" if entry.status is CheckStatus.FAIL else ""
    line: Line = [(lead[:2], role), (" ", ""), (shown_text, text_role)]
    if detail_cells:
        gap = max(room - cell_len(shown_text) - cell_len(shown_detail), 1)
        line += [(" " * gap, ""), (shown_detail, detail_role)]
    lines = [line]
    if highlighted:
        indent = " " * len(lead)
        extra = []
        if shown_text != text:
            extra += [(t, "") for t in wrap_words(text, room)]
        if detail and shown_detail != detail:
            extra += [(t, detail_role) for t in wrap_words(detail, room)]
        lines += [[(indent, ""), piece] for piece in extra[:6]]
    return lines


def banner_lines(summary: StatusSummary, width: int) -> list[Line]:
    """The rollback status as a bold full-width line (symbol and spaced word), then its
    sentence: `◐  P A R T I A L   · rollback status` / `PARTIAL — 3 item(s) open: …`."""
    role = {RollbackStatus.SUCCESS: "success", RollbackStatus.PARTIAL: "partial",
            RollbackStatus.FAILED: "failed"}[summary.status]
    word = " ".join(str(summary.status))
    head = f" {ROLLBACK_SYMBOL[summary.status]}  {word}   · rollback status"
    if cell_len(head) > width:
        head = f" {ROLLBACK_SYMBOL[summary.status]} {summary.status}"
    lines: list[Line] = [[(fit(head, width), role)]]
    sentence = wrap_words(inert(summary.sentence()), max(width - 1, 1))
    if len(sentence) > 2:
        sentence = [sentence[0], fit(" ".join(sentence[1:]), max(width - 1, 1))]
    return lines + [[(" ", ""), (text, "sentence")] for text in sentence]


@dataclass
class ChecklistMessage(Message):
    """Something the operator asked about one checklist item."""

    item_id: str
    checklist: Checklist = field(repr=False, kw_only=True)

    @property
    def control(self) -> Checklist:
        """The checklist it was asked in."""
        return self.checklist


class _Banner(Widget):
    """SUCCESS / PARTIAL / FAILED in a block of colour, with the sentence."""

    DEFAULT_CSS = """
    _Banner {
        height: auto;
        & > .checklist--success { background: $success; color: $text; text-style: bold; }
        & > .checklist--partial { background: $warning; color: $text; text-style: bold; }
        & > .checklist--failed { background: $error; color: $text; text-style: bold; }
        & > .checklist--sentence { color: $text-muted; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {f"checklist--{role}" for role in BANNER_ROLES}

    summary: reactive[StatusSummary | None] = reactive(None, layout=True)

    def render(self) -> Text:
        """The banner at the current width."""
        if self.summary is None:
            return Text("")
        palette = component_palette(self, "checklist", BANNER_ROLES)
        return Text("\n").join(to_text(line, palette)
                               for line in banner_lines(self.summary, self.size.width))


class _Items(CursorList):
    """The sections and items with a cursor."""

    DEFAULT_CSS = """
    _Items {
        height: 1fr;
        & > .checklist--pass { color: $text-success; }
        & > .checklist--fail { color: $text-error; text-style: bold; }
        & > .checklist--open { color: $text-muted; }
        & > .checklist--header { color: $text-accent; text-style: bold; }
        & > .checklist--muted { color: $text-muted; }
        & > .checklist--live { color: $foreground; text-style: italic; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {f"checklist--{role}" for role in ROLES}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle", "Tick / untick", key_display="space", id="checklist.toggle"),
        Binding("n", "note", "Note", id="checklist.note"),
    ]

    sections: reactive[tuple[ChecklistSection, ...]] = reactive(tuple, init=False)
    live: reactive[Mapping[str, str]] = reactive(dict, init=False)

    def __init__(self, owner: Checklist) -> None:
        super().__init__()
        self._owner = owner
        self._rows: list[ChecklistSection | ChecklistEntry] = []

    def on_mount(self) -> None:
        """Lay out the first data."""
        self._data_changed()

    def _data_changed(self) -> None:
        self._rows = [row for section in self.sections
                      for row in (section, *section.entries)]
        self.rows_changed()

    watch_sections = watch_live = _data_changed

    def row_keys(self) -> list[str | None]:
        """Headers are None."""
        return checklist_keys(self.sections)

    def render_row(self, index: int, width: int, highlighted: bool) -> list[Line]:
        """A header or an item."""
        row = self._rows[index]
        if isinstance(row, ChecklistSection):
            return [header_line(row, width)]
        return item_lines(row, self.live, width, highlighted)

    def row_palette(self) -> dict[str, Style]:
        """Theme styles for the roles."""
        return component_palette(self, "checklist", ROLES)

    def entry(self, item_id: str | None) -> ChecklistEntry | None:
        """The entry with `item_id`."""
        return next((r for r in self._rows if isinstance(r, ChecklistEntry)
                     and r.item_id == item_id), None)

    def cursor_moved(self, key: str) -> None:
        """Space only works on manual items: the footer follows the cursor."""
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Ticking is for manual items; automatic ones are decided by their checks."""
        if action == "toggle":
            entry = self.entry(self.highlighted_key)
            return True if entry is not None and not entry.automatic else None
        return True

    def action_toggle(self) -> None:
        """Ask to tick (or untick) the highlighted manual item."""
        entry = self.entry(self.highlighted_key)
        if entry is not None and not entry.automatic:
            checked = entry.status is not CheckStatus.PASS
            self.post_message(Checklist.Toggled(entry.item_id, checked, checklist=self._owner))

    def action_note(self) -> None:
        """Ask for a note on the highlighted item."""
        if self.highlighted_key is not None:
            self.post_message(Checklist.NoteRequested(self.highlighted_key,
                                                       checklist=self._owner))


class Checklist(Vertical):
    """The checklist with the rollback status always visible above it."""

    DEFAULT_CSS = """
    Checklist {
        height: 1fr;
    }
    """

    sections: reactive[tuple[ChecklistSection, ...]] = reactive(tuple, init=False)
    """The sections and their items' marks (from `tui.domain.checklist.checklist`)."""
    summary: reactive[StatusSummary | None] = reactive(None, init=False)
    """The derived status (from `derive_status`)."""
    live: reactive[Mapping[str, str]] = reactive(dict, init=False)
    """Live text for automatic items (item id → `3/3 running`, `error 0.4 % vs 0.5 %`)."""

    @dataclass
    class Toggled(ChecklistMessage):
        """Space on a manual item: `checked` is the mark the operator asks for."""

        checked: bool

    @dataclass
    class NoteRequested(ChecklistMessage):
        """`n` on an item: the operator wants to add a note to it."""

    def __init__(self, sections: tuple[ChecklistSection, ...] = (),
                 summary: StatusSummary | None = None, live: Mapping[str, str] | None = None,
                 *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.set_reactive(Checklist.sections, tuple(sections))
        self.set_reactive(Checklist.summary, summary)
        self.set_reactive(Checklist.live, dict(live or {}))
        self._items = _Items(self)

    def compose(self) -> ComposeResult:
        """The banner on top, the items below."""
        yield _Banner().data_bind(Checklist.summary)
        yield self._items.data_bind(Checklist.sections, Checklist.live)

    def focus(self, scroll_visible: bool = True) -> Checklist:
        """Focus goes to the items (the banner only shows)."""
        self._items.focus(scroll_visible)
        return self

    @property
    def highlighted_item(self) -> str | None:
        """The item id under the cursor."""
        return self._items.highlighted_key
