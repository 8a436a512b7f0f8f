"""The pod panel's pure rendering: which columns fit a width, a pod row as styled cells, the
header, sort keys and the filter. No Textual here: everything is unit-tested without an app.

A cell is a `Piece` (text, role): the widget maps each role to a component-class style, so the
functions stay pure and colour is chosen by the theme. Data from the cluster passes `inert`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from rich.cells import cell_len, set_cell_size

from tui.domain.pods import PodHealth, PodRow, age_text, human_duration
from tui.domain.rollout import ReplicaSetInfo
from widgets.text import ELLIPSIS, fit, inert

Piece = tuple[str, str]
"""A run of text and its role (`""` plain, else a name the widget maps to a style)."""

HEALTH_SYMBOL = {
    PodHealth.READY: "✓", PodHealth.RUNNING_NOT_READY: "◐", PodHealth.FAILING: "✗",
    PodHealth.PENDING: "◌", PodHealth.TERMINATING: "↓", PodHealth.COMPLETED: "■",
    PodHealth.UNKNOWN: "?",
}
# Sort by STATUS puts what needs attention first.
HEALTH_RANK = {
    PodHealth.FAILING: 0, PodHealth.RUNNING_NOT_READY: 1, PodHealth.PENDING: 2,
    PodHealth.UNKNOWN: 3, PodHealth.TERMINATING: 4, PodHealth.READY: 5, PodHealth.COMPLETED: 6,
}
UNHEALTHY = frozenset({PodHealth.FAILING, PodHealth.RUNNING_NOT_READY, PodHealth.PENDING,
                       PodHealth.UNKNOWN})
SORT_ARROW = {False: "▲", True: "▼"}


class Column(StrEnum):
    """A column of the pod panel."""

    NAME = "name"
    READY = "ready"
    STATUS = "status"
    RESTARTS = "restarts"
    AGE = "age"
    REVISION = "revision"
    VERSION = "version"
    NODE = "node"


HEADERS = {Column.NAME: "NAME", Column.READY: "READY", Column.STATUS: "STATUS",
           Column.RESTARTS: "RESTARTS", Column.AGE: "AGE", Column.REVISION: "REV",
           Column.VERSION: "VERSION", Column.NODE: "NODE"}
ESSENTIAL = (Column.NAME, Column.READY, Column.STATUS, Column.RESTARTS, Column.AGE)
# Optional columns in the order they are added as the panel widens (dropped in reverse).
OPTIONAL = (Column.REVISION, Column.VERSION, Column.NODE)
FIXED_WIDTH = {Column.READY: 5, Column.AGE: 5, Column.REVISION: 4}
STATUS_WIDTH = 17  # "ContainerCreating", the longest common STATUS
STATUS_MIN = 10
RESTARTS_LONG = 12  # "12 (45m ago)"
RESTARTS_SHORT = 3  # "RST": the count alone
NAME_MIN = 8
NAME_COMFORT = 25  # a generated pod name of a short Deployment: checkout-655b57ff64-x2k9d
VERSION_WIDTH = (7, 12)
NODE_WIDTH = (10, 24)
SYMBOL_WIDTH = 1

Layout = tuple[tuple[Column, int], ...]
"""The columns shown and their widths in cells (a one-cell gap follows each)."""

RevisionOf = Callable[[PodRow], ReplicaSetInfo | None]


@dataclass(frozen=True, slots=True)
class _Plan:
    columns: tuple[Column, ...]
    restarts: int


def choose_columns(width: int, name_width: int = NAME_COMFORT) -> Layout:
    """The richest set of columns that fits `width` cells without squeezing NAME below its
    comfortable width; NAME READY STATUS RESTARTS AGE are always there (they shrink last)."""
    name_want = max(min(name_width, 63), NAME_MIN)
    comfort = min(name_want, NAME_COMFORT)
    plans = [_Plan(ESSENTIAL + OPTIONAL[:count], RESTARTS_LONG)
             for count in range(len(OPTIONAL), -1, -1)]
    plans.append(_Plan(ESSENTIAL, RESTARTS_SHORT))
    for plan in plans:
        widths = _widths(plan, width, name_want)
        if widths[Column.NAME] >= comfort and widths[Column.STATUS] == STATUS_WIDTH:
            return tuple((c, widths[c]) for c in plan.columns)
    last = plans[-1]
    widths = _widths(last, width, name_want)
    return tuple((c, widths[c]) for c in last.columns)


def _widths(plan: _Plan, width: int, name_want: int) -> dict[Column, int]:
    widths: dict[Column, int] = {c: FIXED_WIDTH[c] for c in plan.columns if c in FIXED_WIDTH}
    widths[Column.RESTARTS] = plan.restarts
    widths[Column.STATUS] = STATUS_WIDTH
    if Column.VERSION in plan.columns:
        widths[Column.VERSION] = VERSION_WIDTH[0]
    if Column.NODE in plan.columns:
        widths[Column.NODE] = NODE_WIDTH[0]
    gaps = len(plan.columns) + SYMBOL_WIDTH  # the symbol, then one gap after every column
    room = width - gaps - sum(widths.values())
    name = max(min(name_want, room), 0)
    room -= name
    # Spare room goes to the flexible columns (version, node) up to what they need.
    for column, (low, high) in ((Column.VERSION, VERSION_WIDTH), (Column.NODE, NODE_WIDTH)):
        if column in widths and room > 0:
            grow = min(high - low, room)
            widths[column] += grow
            room -= grow
    if name < NAME_MIN:
        # Too narrow even for the essentials: STATUS gives up cells before NAME does.
        take = min(NAME_MIN - name, STATUS_WIDTH - STATUS_MIN)
        widths[Column.STATUS] -= take
        name += take
    widths[Column.NAME] = max(name, 1)
    return widths


def shorten_name(name: str, width: int) -> str:
    """A pod name cut to `width` cells from the middle, keeping its tail whole when it can:
    the ReplicaSet hash and the pod suffix tell pods apart, the Deployment name does not
    (`checkout-655b57ff64-x2k9d` in 20 cells is `che…655b57ff64-x2k9d`)."""
    if width <= 0:
        return ""
    if cell_len(name) <= width:
        return set_cell_size(name, width)
    parts = name.rsplit("-", 2)
    tail = "-".join(parts[1:]) if len(parts) == 3 else ""
    room = width - 1
    # The tail as far as it goes while two cells of the head stay; no tail: two thirds.
    tail_cells = min(cell_len(tail), room - 2) if tail else room - room // 3
    tail_cells = max(tail_cells, 0)
    head_cells = room - tail_cells
    head = set_cell_size(name, head_cells) if head_cells > 0 else ""
    end = _last_cells(name, tail_cells)
    return set_cell_size(head + ELLIPSIS + end, width)


def _last_cells(text: str, cells: int) -> str:
    """The longest end of `text` that takes at most `cells` cells."""
    taken, used = 0, 0
    for char in reversed(text):
        size = cell_len(char)
        if used + size > cells:
            break
        used += size
        taken += 1
    return text[len(text) - taken:] if taken else ""


def revision_text(row: PodRow, replicaset: ReplicaSetInfo | None) -> str:
    """The pod's revision (`4`), from its ReplicaSet when known; `?` otherwise."""
    revision = replicaset.revision if replicaset is not None else row.revision
    return "?" if revision is None else str(revision)


def version_text(row: PodRow, replicaset: ReplicaSetInfo | None) -> str:
    """The version the pod runs (its label or image tag, else its ReplicaSet's)."""
    return row.version or (replicaset.version if replicaset is not None else "")


def restarts_cell(row: PodRow, now: float, width: int) -> str:
    """kubectl's RESTARTS cell (`6 (2m ago)`), or the count alone when narrow."""
    if width >= RESTARTS_LONG and row.restarts and row.last_restart is not None:
        return f"{row.restarts} ({human_duration(now - row.last_restart)} ago)"
    return str(row.restarts)


def time_texts(row: PodRow, now: float) -> tuple[str, str]:
    """The cells that change with the clock alone (AGE, the restart age)."""
    last = "" if row.last_restart is None else human_duration(now - row.last_restart)
    return age_text(row.created, now), last


def row_pieces(row: PodRow, layout: Layout, now: float,
               replicaset: ReplicaSetInfo | None = None) -> list[Piece]:
    """One pod as styled cells of exactly the layout's width (gaps included)."""
    health = row.health
    role = str(health)
    pieces: list[Piece] = [(HEALTH_SYMBOL.get(health, "?") + " ", role)]
    # Each cell carries its one-cell gap: half the segments per line, and a gap takes no colour.
    for column, width in layout:
        if column is Column.NAME:
            pieces.append((shorten_name(inert(row.name), width) + " ", ""))
        elif column is Column.READY:
            short = row.ready < row.total and health not in (PodHealth.COMPLETED,
                                                              PodHealth.TERMINATING)
            pieces.append((fit(row.ready_text, width) + " ", "warn" if short else ""))
        elif column is Column.STATUS:
            pieces.append((fit(inert(row.status), width) + " ", role))
        elif column is Column.RESTARTS:
            pieces.append((fit(restarts_cell(row, now, width), width) + " ",
                           "warn" if row.restarts else ""))
        elif column is Column.AGE:
            pieces.append((fit(age_text(row.created, now), width) + " ", "muted"))
        elif column is Column.REVISION:
            pieces.append((revision_text(row, replicaset).rjust(width)[-width:] + " ", "muted"))
        elif column is Column.VERSION:
            pieces.append((fit(inert(version_text(row, replicaset)), width) + " ", "muted"))
        else:
            pieces.append((fit(inert(row.node), width) + " ", "muted"))
    return pieces


def header_pieces(layout: Layout, sort: Column, reverse: bool) -> list[Piece]:
    """The column headings, the sorted one marked ▲ (▼ reversed)."""
    pieces: list[Piece] = [(" " * (SYMBOL_WIDTH + 1), "header")]
    for column, width in layout:
        title = HEADERS[column]
        if column is Column.RESTARTS and width < len(title):
            title = "RST"
        if column is sort:
            title += SORT_ARROW[reverse]
        text = title.rjust(width) if column is Column.REVISION else title
        pieces.append((fit(text, width) + " ", "header-sorted" if column is sort else "header"))
    return pieces


def sort_key(row: PodRow, column: Column, replicaset: ReplicaSetInfo | None = None
             ) -> tuple[object, ...]:
    """A total order for `column`, most useful first (failing, most restarts, newest),
    ties broken by name then uid so every key is unique."""
    tie = (row.name, row.uid)
    if column is Column.READY:
        return (row.ready / row.total if row.total else 0.0, *tie)
    if column is Column.STATUS:
        return (HEALTH_RANK.get(row.health, 3), row.status, *tie)
    if column is Column.RESTARTS:
        return (-row.restarts, *tie)
    if column is Column.AGE:
        return (-(row.created or 0.0), *tie)
    if column is Column.REVISION:
        revision = replicaset.revision if replicaset is not None else row.revision
        return (-(revision or 0), *tie)
    if column is Column.VERSION:
        return (version_text(row, replicaset), *tie)
    if column is Column.NODE:
        return (row.node, *tie)
    return tie


def filter_words(text: str) -> tuple[str, ...]:
    """The typed filter as lower-case words (every word must match)."""
    return tuple(text.lower().split())


def matches(row: PodRow, words: tuple[str, ...], version: str = "") -> bool:
    """Whether every word occurs in the pod's name, status, node or version."""
    if not words:
        return True
    haystack = f"{row.name}\n{row.status}\n{row.node}\n{version or row.version}".lower()
    return all(word in haystack for word in words)


def replicaset_lookup(replicasets: Mapping[str, ReplicaSetInfo]) -> RevisionOf:
    """A function from a pod row to its ReplicaSet (by pod-template-hash)."""
    return lambda row: replicasets.get(row.pod_template_hash)
