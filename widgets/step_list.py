"""The runbook's steps as a list: number, status symbol, title, a short tag and the time.

`✓  3 Take snapshot of the current state        0:01` — a cursor (up/down/home/end) highlights
a step, Enter asks to run it. A step the RBAC pre-check found denied or otherwise blocked shows
its reason in a muted line while highlighted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from rich.cells import cell_len
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive

from tui.domain.drill_timing import WALL, incident_clock
from tui.domain.durations import parse_duration
from tui.domain.incident import IncidentState, StepState
from tui.domain.runbook import Runbook, Step
from tui.domain.status import StepStatus
from widgets.cursor_list import CursorList
from widgets.text import (
    STEP_SYMBOL,
    Line,
    Piece,
    component_palette,
    fit,
    fit_line,
    inert,
    wrap_words,
)
from widgets.timefmt import Clock, clock_text, epoch, estimate_text, system_clock

BLOCKED_SYMBOL = "⊘"
STATUS_ROLE = {
    StepStatus.PENDING: "muted", StepStatus.RUNNING: "running", StepStatus.OK: "ok",
    StepStatus.FAILED: "failed", StepStatus.SKIPPED: "muted", StepStatus.INTERRUPTED: "warning",
}
ROLES = ("ok", "failed", "running", "warning", "muted", "danger")
TAG_LIMIT = 20  # cells of tags beside a title before they are cut


@dataclass(frozen=True)
class StepRow:
    """What one line of the list shows about a step."""

    step_id: str
    number: int
    title: str
    status: StepStatus
    tags: tuple[Piece, ...] = ()
    started: float | None = None  # on the incident's clock: epoch seconds, or a drill's time
    finished: float | None = None
    estimate: float | None = None
    blocker: str = ""


def _rbac_tag(step_state: StepState) -> Piece | None:
    checks = step_state.data.get("checks")
    if not isinstance(checks, list) or not checks:
        return None
    allowed = sum(1 for c in checks if isinstance(c, Mapping) and c.get("allowed") is True)
    return f"{allowed}/{len(checks)} RBAC", "muted" if allowed == len(checks) else "failed"


def step_tags(step: Step, step_state: StepState | None, blocked: bool) -> tuple[Piece, ...]:
    """The short words beside a step's title, most important first."""
    tags: list[Piece] = []
    if blocked:
        tags.append(("blocked", "failed"))
    if step.point_of_no_return:
        tags.append(("no return", "danger"))
    elif step.danger:
        tags.append(("danger", "danger"))
    if step_state is not None:
        if step_state.dry_run:
            tags.append(("dry-run", "warning"))
        if step_state.attempts > 1:
            tags.append((f"try {step_state.attempts}", "warning"))
        rbac = _rbac_tag(step_state)
        if rbac:
            tags.append(rbac)
    if step.action == "manual":
        tags.append(("manual", "muted"))
    return tuple(tags)


def _estimate(step: Step) -> float | None:
    try:
        return parse_duration(step.duration) if step.duration else None
    except ValueError:
        return None


def step_rows(runbook: Runbook, state: IncidentState | None,
              blockers: Mapping[str, str] | None = None) -> tuple[StepRow, ...]:
    """One row per runbook step, in order, with its state from the incident."""
    blockers = blockers or {}
    pace = incident_clock(state) if state else WALL  # a drill's steps take drill time

    def moment(ts: str | None) -> float | None:
        found = epoch(ts)
        return pace.position(found) if found is not None else None

    rows = []
    for number, step in enumerate(runbook.steps, start=1):
        step_state = state.steps.get(step.id) if state else None
        status = step_state.status if step_state else StepStatus.PENDING
        blocker = inert(blockers.get(step.id, ""))
        rows.append(StepRow(
            step.id, number, inert(step.title), status,
            step_tags(step, step_state, bool(blocker) and not status.done),
            moment(step_state.started_at) if step_state else None,
            moment(step_state.finished_at) if step_state else None,
            _estimate(step), blocker))
    return tuple(rows)


def step_time(row: StepRow, now: float) -> Piece:
    """Elapsed for a running step, actual duration for a finished one, `~est` for the rest."""
    if row.status is StepStatus.RUNNING and row.started is not None:
        return clock_text(now - row.started), "running"
    if row.status.finished and row.started is not None and row.finished is not None:
        return clock_text(row.finished - row.started), "muted"
    if row.status is StepStatus.PENDING and row.estimate is not None:
        return f"~{estimate_text(row.estimate)}", "muted"
    return "", "muted"


def _symbol(row: StepRow) -> Piece:
    if row.blocker and not row.status.done and row.status is not StepStatus.RUNNING:
        return BLOCKED_SYMBOL, "failed"
    return STEP_SYMBOL[row.status], STATUS_ROLE[row.status]


def _tags_within(tags: tuple[Piece, ...], room: int) -> Line:
    """As many whole tags as fit in `room` cells (the first one cut if it alone does not)."""
    out: Line = []
    used = 0
    for word, role in tags:
        need = cell_len(word) + (1 if out else 0)
        if used + need > room:
            if not out and room > 1:
                out.append((fit(word, room), role))
            break
        out.extend([(" ", "")] if out else [])
        out.append((word, role))
        used += need
    return out


def step_row_lines(row: StepRow, width: int, now: float, highlighted: bool = False) -> list[Line]:
    """The row's line (and, highlighted, the reason it is blocked), each at most `width` cells."""
    symbol, symbol_role = _symbol(row)
    number = f"{row.number:>2}"
    time_text, time_role = step_time(row, now)
    head = f"{symbol} {number} "
    time_cells = max(cell_len(time_text), 5) + 1
    room = width - cell_len(head) - time_cells
    tag_room = min(TAG_LIMIT, max(room - 12, 0))
    tags = _tags_within(row.tags, tag_room)
    tag_cells = sum(cell_len(t) for t, _ in tags) + (1 if tags else 0)
    title_room = max(room - tag_cells, 0)
    title_role = "running" if row.status is StepStatus.RUNNING else ""
    line: Line = [(symbol, symbol_role), (f" {number} ", "muted"),
                  (fit(row.title, title_room), title_role)]
    if tags:
        line += [(" ", ""), *tags]
    line.append((f"{time_text:>{time_cells}}", time_role))
    lines = [fit_line(line, width)]
    if highlighted and row.blocker:
        indent = " " * len(head)
        for text in wrap_words(f"{BLOCKED_SYMBOL} blocked: {row.blocker}",
                               max(width - len(head), 1)):
            lines.append(fit_line([(indent, ""), (text, "muted")], width))
    return lines


@dataclass
class StepMessage(Message):
    """Something about one step of a StepList."""

    step_id: str
    step_list: StepList = field(repr=False, kw_only=True)

    @property
    def control(self) -> StepList:
        """The list it happened in."""
        return self.step_list


class StepList(CursorList):
    """The runbook's steps with their status; Enter asks to run the highlighted one."""

    DEFAULT_CSS = """
    StepList {
        height: auto;
        max-height: 100%;
        & > .step-list--ok { color: $text-success; }
        & > .step-list--failed { color: $text-error; text-style: bold; }
        & > .step-list--running { color: $text-accent; text-style: bold; }
        & > .step-list--warning { color: $text-warning; }
        & > .step-list--danger { color: $text-error; }
        & > .step-list--muted { color: $text-muted; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {f"step-list--{role}" for role in ROLES}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "choose", "Run step", key_display="⏎", id="step_list.run"),
    ]

    runbook: reactive[Runbook | None] = reactive(None, layout=True, init=False)
    """The runbook whose steps are listed."""
    state: reactive[IncidentState | None] = reactive(None, always_update=True, init=False)
    """The incident state the statuses come from (a copy the session published)."""
    blockers: reactive[Mapping[str, str]] = reactive(dict, init=False)
    """Why a step cannot run (step id → reason), e.g. from the RBAC pre-check."""

    @dataclass
    class Highlighted(StepMessage):
        """The cursor moved to a step."""

    @dataclass
    class RunRequested(StepMessage):
        """The operator pressed Enter on a step: the screen decides whether and how it runs."""

    def __init__(self, runbook: Runbook | None = None, state: IncidentState | None = None, *,
                 clock: Clock = system_clock, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.clock = clock
        self._rows: tuple[StepRow, ...] = ()
        self._pace = WALL
        self.set_reactive(StepList.runbook, runbook)
        self.set_reactive(StepList.state, state)
        self._rebuild()

    def on_mount(self) -> None:
        """Tick once a second so a running step's elapsed time moves."""
        self.set_interval(1.0, self._tick)
        self.rows_changed()

    def _tick(self) -> None:
        if any(row.status is StepStatus.RUNNING for row in self._rows):
            self._relayout()

    def _rebuild(self) -> None:
        self._rows = step_rows(self.runbook, self.state, self.blockers) if self.runbook else ()
        self._pace = incident_clock(self.state) if self.state else WALL  # the rows' clock

    def _data_changed(self) -> None:
        self._rebuild()
        self.rows_changed()

    watch_runbook = watch_state = watch_blockers = _data_changed

    @property
    def rows(self) -> tuple[StepRow, ...]:
        """The rows as shown."""
        return self._rows

    def row_keys(self) -> list[str | None]:
        """Every step is selectable."""
        return [row.step_id for row in self._rows]

    def render_row(self, index: int, width: int, highlighted: bool) -> list[Line]:
        """A step's line via `step_row_lines`."""
        return step_row_lines(self._rows[index], width, self._pace.position(self.clock()),
                              highlighted)

    def row_palette(self) -> dict[str, Style]:
        """Theme styles for the roles."""
        return component_palette(self, "step-list", ROLES)

    def cursor_moved(self, key: str) -> None:
        """Tell the screen which step is highlighted."""
        self.post_message(self.Highlighted(key, step_list=self))

    def row_chosen(self, key: str) -> None:
        """Ask the screen to run the step."""
        self.post_message(self.RunRequested(key, step_list=self))
