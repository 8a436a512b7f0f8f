"""One step in detail: the exact command, what to expect, how it is verified, the estimate
against the time taken, the status, the request, what danger means, and the streaming output.

`y` copies the command (OSC 52, so it works over SSH). The caller masks secrets: the card shows
and copies exactly the command it is given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, chop_cells
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widget import Widget

from tui.domain.drill_timing import WALL, ScenarioClock
from tui.domain.durations import parse_duration
from tui.domain.incident import StepState
from tui.domain.runbook import Runbook, Step, render_args
from tui.domain.status import StepStatus
from widgets.tail_view import TailView
from widgets.text import (
    STEP_SYMBOL,
    Line,
    component_palette,
    fit,
    fit_line,
    inert,
    inert_lines,
    to_text,
    wrap_words,
)
from widgets.timefmt import Clock, clock_text, epoch, system_clock

ROLES = ("label", "command", "muted", "ok", "failed", "running", "warning", "danger")
LABEL_CELLS = 9
OUTPUT_LINES = 200
MEANING = {
    "danger": "changes the live system; you confirm by typing the target's name",
    "point_of_no_return": "once it runs, this runbook cannot take it back",
}
STATUS_ROLE = {StepStatus.OK: "ok", StepStatus.FAILED: "failed", StepStatus.RUNNING: "running",
               StepStatus.INTERRUPTED: "warning", StepStatus.SKIPPED: "muted",
               StepStatus.PENDING: "muted"}
# A shell word: quoted parts kept whole, so a wrapped command never splits inside quotes.
_WORD = re.compile(r"""(?:[^\s'"]+|'[^']*'?|"(?:\\.|[^"\\])*"?)+""")


@dataclass(frozen=True)
class StepDetail:
    """A step as the card shows it, templates filled in and secrets masked."""

    number: int
    step_id: str
    title: str
    action: str = ""
    command: str | None = None
    expected: str = ""
    verification: str = ""
    estimate: str | None = None
    danger: bool = False
    point_of_no_return: bool = False
    on_failure: str = ""
    instructions: str = ""
    message: str = ""

    @property
    def copy_text(self) -> str:
        """What `y` copies: the command, or for a manual step its message."""
        return self.command or self.message


def _filled(template: str, values: Mapping[str, str]) -> str:
    try:
        return str(render_args(template, values))
    except ValueError:  # a missing value: show the template rather than nothing
        return template


def step_detail(runbook: Runbook, step: Step, values: Mapping[str, str]) -> StepDetail:
    """The card's data for `step`, with parameters filled in and secret values as `***`."""
    secrets = set(runbook.secret_names())
    masked = {k: "***" if k in secrets else str(v) for k, v in values.items()}
    try:
        command = runbook.step_display(step, values)
    except ValueError:
        command = step.command
    number = next((i for i, s in enumerate(runbook.steps, start=1) if s.id == step.id), 0)
    args = step.args if step.action == "manual" else {}
    return StepDetail(
        number, step.id, step.title, step.action, command, _filled(step.expected, masked),
        _filled(step.verification, masked), step.duration, step.danger, step.point_of_no_return,
        _filled(step.on_failure, masked), _filled(str(args.get("instructions", "")), masked),
        _filled(str(args.get("message", "")), masked))


def wrap_command(command: str, width: int) -> list[str]:
    """`$ cmd args…` in lines of at most `width` cells, broken between shell words, each
    continued line ending in ` \\` and the next indented, so a copied selection still runs.
    A word wider than the card (a long URL) is broken where it must be, without the `\\`."""
    width = max(width, 1)
    words = _WORD.findall(inert(command)) or [""]
    groups: list[str] = []
    current = "$"
    for word in words:
        if current.strip() == "$" or cell_len(current) + 1 + cell_len(word) + 2 <= width:
            current += " " + word
            continue
        groups.append(current)
        current = "   " + " " + word
    groups.append(current)
    lines: list[str] = []
    for n, group in enumerate(groups):
        more = " \\" if n < len(groups) - 1 else ""
        if cell_len(group + more) <= width:
            lines.append(group + more)
            continue
        parts = chop_cells(group, width)
        lines.append(parts[0])
        if len(parts) > 1:
            lines += chop_cells(("    " if width > 8 else "") + "".join(parts[1:]), width)
    return lines


def _field(label: str, value: str, width: int, role: str = "", limit: int = 4) -> list[Line]:
    """`label    value…` with the value wrapped under itself."""
    room = max(width - LABEL_CELLS, 1)
    wrapped = wrap_words(inert(value), room)
    if len(wrapped) > limit:
        wrapped = [*wrapped[: limit - 1], wrapped[limit - 1][: max(room - 1, 0)] + "…"]
    lines = [[(f"{label:<{LABEL_CELLS}}", "label"), (wrapped[0], role)]]
    return lines + [[(" " * LABEL_CELLS, ""), (text, role)] for text in wrapped[1:]]


def time_line(detail: StepDetail, state: StepState | None, now: float,
              pace: ScenarioClock = WALL) -> tuple[str, str]:
    """`est 1m · elapsed 0:37` (warning once over the estimate) or `est 30s · took 0:02`;
    in a drill, on its clock (as its estimates are)."""
    estimate = f"est {detail.estimate}" if detail.estimate else "no estimate"
    started = epoch(state.started_at) if state else None
    if state is None or started is None or state.status is StepStatus.PENDING:
        return estimate, ""
    try:
        budget = parse_duration(detail.estimate) if detail.estimate else None
    except ValueError:
        budget = None
    if state.status is StepStatus.RUNNING:
        elapsed = pace.between(started, now) or 0.0
        over = budget is not None and elapsed > budget
        return (f"{estimate} · elapsed {clock_text(elapsed)}" + (" (over)" if over else ""),
                "warning" if over else "running")
    finished = epoch(state.finished_at)
    took = f" · took {clock_text(pace.between(started, finished) or 0.0)}" \
        if finished is not None else ""
    return estimate + took, ""


def status_text(state: StepState | None) -> tuple[str, str]:
    """`✓ ok — detail`, `▶ running · attempt 2 · confirmed by …`, `◌ not run yet`."""
    if state is None or state.status is StepStatus.PENDING:
        return "◌ not run yet", "muted"
    symbol = STEP_SYMBOL[state.status]
    if state.status is StepStatus.RUNNING:
        parts = [f"{symbol} running"]
        if state.attempts > 1:
            parts.append(f"attempt {state.attempts}")
        if state.confirmed_by:
            parts.append(f"confirmed by {state.confirmed_by}")
        return " · ".join(parts), "running"
    text = f"{symbol} {state.status.value}"
    if state.status is StepStatus.INTERRUPTED:
        text += " — its outcome was never recorded; check before re-running"
    elif state.detail:
        text += f" — {state.detail}"
    return text, STATUS_ROLE[state.status]


def card_lines(detail: StepDetail, state: StepState | None, width: int, now: float,
               pace: ScenarioClock = WALL) -> list[Line]:
    """Everything above the output, each line at most `width` cells."""
    lines: list[Line] = []
    for flag, word, key in ((detail.point_of_no_return, "POINT OF NO RETURN", "point_of_no_return"),
                            (detail.danger and not detail.point_of_no_return, "DANGER",
                             "danger")):
        if flag:
            for n, text in enumerate(wrap_words(f"{word} · {MEANING[key]}", width - 2)):
                lines.append([("! " if n == 0 else "  ", "danger"), (text, "danger")])
    if detail.command:
        command = wrap_command(detail.command, width)
        lines += [[(text, "command")] for text in command]
        if len(command[-1]) + 4 <= width:
            lines[-1].append((" [y]", "muted"))
    if detail.instructions:
        lines += _field("do", detail.instructions, width)
    if detail.message:
        message = inert_lines(detail.message, width - LABEL_CELLS)[:6]
        lines.append([("message", "label")])
        lines += [[(" " * LABEL_CELLS, ""), (text, "")] for text in message]
    if detail.expected:
        lines += _field("expect", detail.expected, width)
    if detail.verification:
        lines += _field("verify", detail.verification, width, limit=3)
    for label, (text, role) in (("time", time_line(detail, state, now, pace)),
                                ("status", status_text(state))):
        lines += _field(label, text, width, role)
    if state is not None and state.request:
        lines += _field("dry-run" if state.dry_run else "request", state.request, width,
                        role="warning" if state.dry_run else "muted", limit=3)
    if state is not None and state.reason:
        lines += _field("reason", state.reason, width)
    if state is not None and state.evidence:
        lines += _field("evidence", state.evidence, width, limit=2)
    if detail.on_failure and state is not None and state.status is StepStatus.FAILED:
        lines += _field("next", detail.on_failure, width, role="warning")
    return [fit_line(line, width) for line in lines]  # cards narrower than the label column


class _CardBody(Widget):
    """The card's text above the output (data bound from the StepCard)."""

    DEFAULT_CSS = """
    _CardBody {
        height: auto;
        & > .step-card--label { color: $text-muted; }
        & > .step-card--command { color: $text-accent; text-style: bold; }
        & > .step-card--muted { color: $text-muted; }
        & > .step-card--ok { color: $text-success; }
        & > .step-card--failed { color: $text-error; text-style: bold; }
        & > .step-card--running { color: $text-accent; }
        & > .step-card--warning { color: $text-warning; }
        & > .step-card--danger { color: $text-error; text-style: bold; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {f"step-card--{role}" for role in ROLES}

    detail: reactive[StepDetail | None] = reactive(None, layout=True)
    step_state: reactive[StepState | None] = reactive(None, layout=True, always_update=True)

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock
        self.pace = WALL  # a drill's clock (the card's times are on it)

    def render(self) -> Text:
        """The lines at the current width, joined."""
        if self.detail is None:
            return Text("No step selected", style=self.get_component_rich_style(
                "step-card--muted", partial=True))
        palette: dict[str, Style] = component_palette(self, "step-card", ROLES)
        lines = card_lines(self.detail, self.step_state, max(self.size.width, 1), self.clock(),
                           self.pace)
        text = Text("\n").join(to_text(line, palette) for line in lines)
        text.no_wrap = True
        return text


class _Output(TailView[str]):
    """The step's output, last OUTPUT_LINES lines, following the tail."""

    DEFAULT_CSS = """
    _Output {
        height: auto;
        max-height: 8;
        & > .step-output--gutter { color: $text-muted; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"step-output--gutter"}

    def render_item(self, item: str, width: int) -> list[Line]:
        """`▏line`, cut at the width (the full output is in the journal)."""
        return [[("▏", "gutter"), (fit(item, max(width - 1, 0)).rstrip(), "")]]

    def item_palette(self) -> dict[str, Style]:
        """The gutter's style."""
        return component_palette(self, "step-output", ("gutter",))


class StepCard(Vertical, can_focus=True):
    """One step in detail with its streaming output; `y` copies the command."""

    DEFAULT_CSS = """
    StepCard {
        height: auto;
        border: round $foreground 30%;
        border-title-color: $foreground;
        border-title-style: bold;
        padding: 0 1;
        &:focus-within { border: round $accent; }
        &.-running { border-title-color: $text-accent; }
        &.-failed { border: round $error; border-title-color: $text-error; }
        &.-danger { border-subtitle-color: $text-error; }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "copy_command", "Copy command", id="step_card.copy_command"),
    ]

    detail: reactive[StepDetail | None] = reactive(None, init=False)
    """The step shown (from `step_detail`)."""
    step_state: reactive[StepState | None] = reactive(None, always_update=True, init=False)
    """Its state in the incident, None when it has not run."""

    def __init__(self, detail: StepDetail | None = None, step_state: StepState | None = None,
                 *, clock: Clock = system_clock, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.clock = clock
        self._body = _CardBody(clock)
        self._output = _Output(max_items=OUTPUT_LINES)
        self._shown: tuple[str, int] | None = None
        self.set_reactive(StepCard.detail, detail)
        self.set_reactive(StepCard.step_state, step_state)

    @property
    def pace(self) -> ScenarioClock:
        """The clock its times are on: a drill's (steps take drill time), else the wall's."""
        return self._body.pace

    @pace.setter
    def pace(self, pace: ScenarioClock) -> None:
        self._body.pace = pace

    def compose(self) -> ComposeResult:
        """The body (bound to this card's data) and the output below it."""
        yield self._body.data_bind(StepCard.detail, StepCard.step_state)
        yield self._output

    def on_mount(self) -> None:
        """Show the initial data; tick while the step runs so elapsed moves."""
        self._changed()
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        if self.step_state is not None and self.step_state.status is StepStatus.RUNNING:
            self._body.refresh(layout=True)

    def watch_detail(self) -> None:
        """Another step: new title, new output."""
        self._changed()

    def watch_step_state(self) -> None:
        """The step moved on: classes, and its recorded output once it has one."""
        self._changed()

    def _changed(self) -> None:
        detail, state = self.detail, self.step_state
        title = f"{detail.number} · {inert(detail.title)}" if detail else ""
        self.border_title = Text(title)
        self.border_subtitle = Text(
            "point of no return" if detail and detail.point_of_no_return else
            "danger" if detail and detail.danger else "")
        status = state.status if state else StepStatus.PENDING
        self.set_class(status is StepStatus.RUNNING, "-running")
        self.set_class(status in (StepStatus.FAILED, StepStatus.INTERRUPTED), "-failed")
        self.set_class(bool(detail and (detail.danger or detail.point_of_no_return)), "-danger")
        key = (detail.step_id, state.attempts if state else 0) if detail else None
        recorded = [inert(line) for line in state.output] if state else []
        if key != self._shown:
            self._shown = key
            self._output.replace(recorded)
        elif status.finished and recorded and recorded != self._output.items:
            self._output.replace(recorded)

    @property
    def output(self) -> list[str]:
        """The output lines held (the last OUTPUT_LINES)."""
        return self._output.items

    def append_output(self, line: str) -> None:
        """One more line of the running step's output (a StepProgressed line)."""
        for part in inert_lines(line):
            self._output.append(part)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Copy is greyed out when the step has nothing to copy."""
        if action == "copy_command":
            return bool(self.detail and self.detail.copy_text) or None
        return True

    def action_copy_command(self) -> None:
        """Copy the command to the terminal's clipboard and say so."""
        if self.detail is None or not self.detail.copy_text:
            return
        self.app.copy_to_clipboard(self.detail.copy_text)
        what = "command" if self.detail.command else "message"
        self.notify(f"copied the {what} of step {self.detail.number}", title="copied",
                    markup=False)
