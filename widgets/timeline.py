"""The journal's tail as human lines: `04:26:00 alice@laptop ▶ step rollout_undo started: …`.

Entries (from `tui.domain.timeline.describe`) are appended as they come; the view follows the
tail unless the operator scrolled up, then shows `▼ N new`. Severity is a colour and a symbol.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.cells import cell_len
from rich.style import Style

from tui.domain.incident import JournalEvent
from tui.domain.timeline import EventSeverity, TimelineEntry, describe
from widgets.tail_view import TailView
from widgets.text import Line, component_palette, fit, fit_line, inert, wrap_words

ROLES = ("ok", "warning", "error", "info", "muted")
SEVERITY_ROLE = {EventSeverity.OK: "ok", EventSeverity.WARNING: "warning",
                 EventSeverity.ERROR: "error", EventSeverity.INFO: "info"}
TEXT_ROLE = {EventSeverity.WARNING: "warning", EventSeverity.ERROR: "error"}
MAX_LINES = 4  # lines one entry may wrap to before it is cut


def actor_cells(width: int) -> int:
    """How wide the actor column is at a view width (narrower views give it less)."""
    return 12 if width >= 70 else 8


def entry_lines(entry: TimelineEntry, width: int) -> list[Line]:
    """`time actor symbol text`, wrapped under the text with a hanging indent."""
    actor_width = actor_cells(width)
    time_text = inert(entry.time_text, 8)
    head: Line = [(f"{time_text} ", "muted"), (fit(inert(entry.actor), actor_width), "muted"),
                  (" ", ""), (str(entry.symbol), SEVERITY_ROLE[entry.severity]), (" ", "")]
    indent = sum(cell_len(text) for text, _ in head)
    room = max(width - indent, 1)
    wrapped = wrap_words(inert(entry.text), room)
    if len(wrapped) > MAX_LINES:
        wrapped = [*wrapped[: MAX_LINES - 1], fit(" ".join(wrapped[MAX_LINES - 1:]), room)]
    role = TEXT_ROLE.get(entry.severity, "")
    lines = [[*head, (wrapped[0], role)]]
    lines += [[(" " * indent, ""), (text, role)] for text in wrapped[1:]]
    return [fit_line(line, width) for line in lines]  # views narrower than the columns


class Timeline(TailView[TimelineEntry]):
    """The incident's timeline, newest at the bottom."""

    DEFAULT_CSS = """
    Timeline {
        height: 1fr;
        & > .timeline--ok { color: $text-success; }
        & > .timeline--warning { color: $text-warning; }
        & > .timeline--error { color: $text-error; text-style: bold; }
        & > .timeline--info { color: $text-accent; }
        & > .timeline--muted { color: $text-muted; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {f"timeline--{role}" for role in ROLES}

    def __init__(self, entries: Iterable[TimelineEntry] = (), *, max_items: int = 2000,
                 name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(max_items=max_items, name=name, id=id, classes=classes)
        self.extend(entries)

    def add_events(self, events: Iterable[JournalEvent]) -> None:
        """Describe journal events and append them."""
        self.extend(describe(event) for event in events)

    def render_item(self, item: TimelineEntry, width: int) -> list[Line]:
        """An entry's lines via `entry_lines`."""
        return entry_lines(item, width)

    def item_palette(self) -> dict[str, Style]:
        """Theme styles for the roles."""
        return component_palette(self, "timeline", ROLES)
