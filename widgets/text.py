"""Shared rendering vocabulary of the widgets: inert text from data, and the status symbols.

Everything shown from the cluster, a command or the journal (pod names, log lines, outputs,
annotations, notes) goes through `inert` and into `rich.text.Text` objects, never into markup:
Rich markup and terminal escape sequences in data stay visible as characters and do nothing
(controls in caret notation, as the CLI shows them: one function, `tui.domain.safe_text.inert`).
Colour is never the only signal: each status has a symbol and a word as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from rich.cells import cell_len, chop_cells, set_cell_size
from rich.style import Style
from rich.text import Text

from tui.domain.safe_text import inert as inert_text
from tui.domain.status import CheckStatus, RollbackStatus, StepStatus

ELLIPSIS = "…"

STEP_SYMBOL = {
    StepStatus.PENDING: " ", StepStatus.RUNNING: "▶", StepStatus.OK: "✓",
    StepStatus.FAILED: "✗", StepStatus.SKIPPED: "↷", StepStatus.INTERRUPTED: "!",
}
CHECK_SYMBOL = {CheckStatus.PASS: "✓", CheckStatus.FAIL: "✗", CheckStatus.OPEN: "◌"}
ROLLBACK_SYMBOL = {RollbackStatus.SUCCESS: "✓", RollbackStatus.PARTIAL: "◐",
                   RollbackStatus.FAILED: "✗"}


def inert(value: object, limit: int | None = None) -> str:
    """`value` as plain one-line text: control characters in caret notation (an escape
    sequence shows as `^[[2J`), newlines as ⏎, cut to `limit` characters with an ellipsis."""
    text = str(value).replace("\t", "    ").replace("\r\n", "⏎").replace("\n", "⏎")
    text = inert_text(text)
    if limit is not None and len(text) > limit:
        return text[: max(limit - 1, 0)] + ELLIPSIS
    return text


def inert_lines(value: object, limit: int | None = None) -> list[str]:
    """Multi-line data as inert lines (one per source line)."""
    return [inert(line, limit) for line in str(value).splitlines()] or [""]


def plain(value: object, style: str = "", limit: int | None = None) -> Text:
    """A Text holding data literally (never parsed as markup)."""
    return Text(inert(value, limit), style=style, no_wrap=True, overflow="ellipsis")


def fit(text: str, width: int) -> str:
    """Cut or pad `text` to exactly `width` cells' worth of characters."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + ELLIPSIS
    return set_cell_size(text, width)


# --- styled pieces: pure render functions return these, widgets turn them into Text ------------

Piece = tuple[str, str]
"""A run of text and its role (`""` for plain, else a name the widget maps to a style)."""

Line = list[Piece]
"""One screen line as pieces."""


def line_width(line: Line) -> int:
    """How many cells a line takes."""
    return sum(cell_len(text) for text, _ in line)


def fit_line(line: Line, width: int) -> Line:
    """Cut a line to at most `width` cells, ending with an ellipsis when anything was cut."""
    if line_width(line) <= width:
        return list(line)
    out: Line = []
    room = width
    for text, role in line:
        cells = cell_len(text)
        if cells < room:  # strictly less: a cell stays free for the ellipsis
            out.append((text, role))
            room -= cells
            continue
        if room > 0:
            out.append((set_cell_size(text, room - 1) + ELLIPSIS, role))
        break
    return out


def line_text(line: Line) -> str:
    """The characters of a line, without roles."""
    return "".join(text for text, _ in line)


def to_text(line: Line, palette: Mapping[str, Style]) -> Text:
    """A line as a Rich Text, each role styled from `palette` (unknown roles stay plain)."""
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    for chunk, role in line:
        text.append(chunk, palette.get(role))
    return text


def wrap_words(text: str, width: int, first: int | None = None) -> list[str]:
    """Greedy word wrap by cells: `first` cells on the first line, `width` on the others;
    words longer than a line are broken."""
    widths = [first if first is not None else width, width]
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        room = widths[min(len(lines), 1)]
        candidate = f"{current} {word}" if current else word
        if cell_len(candidate) <= room:
            current = candidate
            continue
        if current:
            lines.append(current)
            room = widths[1]
        while cell_len(word) > room > 0:
            head = chop_cells(word, room)[0] or word[0]  # a wide character in a 1-cell room
            lines.append(head)
            word = word[len(head):]
            room = widths[1]
        current = word
    lines.append(current)
    return lines


class _Styled(Protocol):
    def get_component_rich_style(self, *names: str, partial: bool = False) -> Style: ...


def component_palette(widget: _Styled, prefix: str, roles: Iterable[str]) -> dict[str, Style]:
    """Each role's style from the widget's component class `{prefix}--{role}` (theme-aware).

    Full styles, not partial ones: only they resolve `auto` colours (`$text`, `$text-muted`) and
    alpha against the background, which a partial style silently turns into plain white."""
    return {role: widget.get_component_rich_style(f"{prefix}--{role}") for role in roles}
