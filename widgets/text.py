"""Shared rendering vocabulary of the widgets: inert text from data, and the status symbols.

Everything shown from the cluster, a command or the journal (pod names, log lines, outputs,
annotations, notes) goes through `inert` and into `rich.text.Text` objects, never into markup:
Rich markup and terminal escape sequences in data stay visible as characters and do nothing.
Colour is never the only signal: each status has a symbol and a word as well.
"""

from __future__ import annotations

import re

from rich.cells import cell_len, set_cell_size
from rich.text import Text

from tui.domain.status import CheckStatus, RollbackStatus, StepStatus

# ESC/CSI/OSC sequences and every other C0/C1 control character except none: a tab becomes
# spaces, a newline ends the line (callers split first), everything else is shown as "�".
_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-_])?")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
ELLIPSIS = "…"

STEP_SYMBOL = {
    StepStatus.PENDING: " ", StepStatus.RUNNING: "▶", StepStatus.OK: "✓",
    StepStatus.FAILED: "✗", StepStatus.SKIPPED: "↷", StepStatus.INTERRUPTED: "!",
}
CHECK_SYMBOL = {CheckStatus.PASS: "✓", CheckStatus.FAIL: "✗", CheckStatus.OPEN: "◌"}
ROLLBACK_SYMBOL = {RollbackStatus.SUCCESS: "✓", RollbackStatus.PARTIAL: "◐",
                   RollbackStatus.FAILED: "✗"}


def inert(value: object, limit: int | None = None) -> str:
    """`value` as plain one-line text: escape sequences removed, control characters replaced,
    newlines as ⏎, cut to `limit` characters with an ellipsis."""
    text = _ESCAPE.sub("", str(value))
    text = text.replace("\t", "    ").replace("\r\n", "⏎").replace("\n", "⏎")
    text = _CONTROL.sub("�", text)
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
