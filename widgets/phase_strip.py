"""The four phases in one line, the current one highlighted, the done ones with ✓ and a result.

`① Assess ✓ P1 · score 72  ② Decide ✓ ROLLBACK → rev 2 (2.3.1)  ③ Execute 5/13  ④ Verify`
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tui.domain.checklist import derive_status
from tui.domain.incident import IncidentState
from tui.domain.runbook import Runbook
from tui.domain.status import CheckStatus, Phase, StepStatus
from widgets.context_bar import CIRCLED
from widgets.text import Line, component_palette, fit, fit_line, inert, line_width, to_text

PHASES = (Phase.ASSESS, Phase.DECIDE, Phase.EXECUTE, Phase.VERIFY)
ROLES = ("current", "done", "ok", "muted", "failed", "result")
GAP = "  "


@dataclass(frozen=True)
class PhaseProgress:
    """Where the incident stands: the current phase, each done phase's one-line result and the
    current phase's progress (`5/13`)."""

    current: Phase
    results: Mapping[Phase, str] = field(default_factory=dict)
    progress: Mapping[Phase, str] = field(default_factory=dict)
    failed: frozenset[Phase] = frozenset()


def _assess_result(state: IncidentState) -> str:
    assessment = state.assessment or {}
    inputs = assessment.get("inputs") or {}
    recommendation = assessment.get("recommendation") or {}
    parts = [str(inputs.get("severity") or state.severity or "")]
    if assessment.get("impact_score") is not None:
        parts.append(f"score {assessment['impact_score']}")
    text = " · ".join(p for p in parts if p)
    if recommendation.get("decision"):
        text += f" → {recommendation['decision']}"
    return inert(text.strip(" →"))


def _decide_result(state: IncidentState) -> str:
    decision = state.decision or {}
    text = str(decision.get("decision") or "")
    target = next(iter(state.targets.values()), None)
    if target is not None and target.get("revision") is not None:
        version = f" ({target['version']})" if target.get("version") else ""
        text += f" → rev {target['revision']}{version}"
    return inert(text)


def phase_progress(state: IncidentState, runbook: Runbook, current: Phase) -> PhaseProgress:
    """The strip's data derived from an incident: results of the phases before `current`."""
    steps = [state.step_status(step.id) for step in runbook.steps]
    done = sum(status.done for status in steps)
    failed = sum(status is StepStatus.FAILED for status in steps)
    interrupted = sum(status is StepStatus.INTERRUPTED for status in steps)
    failed_steps = failed + interrupted
    execute = f"{done}/{len(steps)}" + (f" · {failed} failed" if failed else "") + (
        f" · {interrupted} interrupted" if interrupted else "")
    items = runbook.checklist_items()
    passed = sum(state.check_status(i.id) is CheckStatus.PASS for i in items)
    results = {Phase.ASSESS: _assess_result(state), Phase.DECIDE: _decide_result(state),
               Phase.EXECUTE: execute}
    failed_items = sum(state.check_status(i.id) is CheckStatus.FAIL for i in items)
    verify = f"{passed}/{len(items)} checked" + (f" · {failed_items} failed" if failed_items
                                                 else "")
    progress = {Phase.EXECUTE: execute, Phase.VERIFY: verify}
    failed = {Phase.EXECUTE} if failed_steps else set()
    if failed_items:
        failed.add(Phase.VERIFY)
    if current is Phase.CLOSED:
        results[Phase.VERIFY] = str(state.rollback_status or derive_status(runbook, state).status)
    return PhaseProgress(current, results, progress, frozenset(failed))


def _phase_pieces(data: PhaseProgress, phase: Phase, label: bool, result_cells: int) -> Line:
    """One phase: its number (and name), ✓/✗ and result when done, progress when current."""
    number = CIRCLED[phase]
    is_done = phase.number < data.current.number
    if phase is data.current:
        line: Line = [(f" {number} {phase.label} " if label else f" {number} ", "current")]
        progress = data.progress.get(phase, "")
        role = "failed" if phase in data.failed else "result"
        return line + ([(inert(progress), role)] if progress else [])
    if not is_done:
        return [(f"{number} {phase.label}" if label else number, "muted")]
    failed = phase in data.failed
    line = [(f"{number} {phase.label} " if label else f"{number} ", "done"),
            ("✗" if failed else "✓", "failed" if failed else "ok")]
    result = inert(data.results.get(phase, ""))
    if result and result_cells > 1:
        line += [(" ", ""), (fit(result, min(result_cells, len(result) + 1)).rstrip(),
                             "failed" if failed else "result")]
    return line


# Ways to fit, widest first: names of the other phases on or off, and the cells each done
# phase's result may take. The assessment's result goes first: the decision matters more.
FITS = (
    (True, {Phase.ASSESS: 60, Phase.DECIDE: 60, Phase.EXECUTE: 60, Phase.VERIFY: 60}),
    (True, {Phase.ASSESS: 0, Phase.DECIDE: 60, Phase.EXECUTE: 60, Phase.VERIFY: 60}),
    (True, {Phase.ASSESS: 0, Phase.DECIDE: 28, Phase.EXECUTE: 14, Phase.VERIFY: 14}),
    (False, {Phase.ASSESS: 0, Phase.DECIDE: 60, Phase.EXECUTE: 14, Phase.VERIFY: 14}),
    (False, {Phase.ASSESS: 0, Phase.DECIDE: 14, Phase.EXECUTE: 8, Phase.VERIFY: 8}),
    (False, {Phase.ASSESS: 0, Phase.DECIDE: 0, Phase.EXECUTE: 0, Phase.VERIFY: 0}),
)


def strip_line(data: PhaseProgress, width: int) -> Line:
    """The strip at `width` cells: the widest of FITS that fits, else the narrowest cut."""
    line: Line = []
    for labels, result_cells in FITS:
        line = []
        for phase in PHASES:
            if line:
                line.append((GAP, ""))
            line += _phase_pieces(data, phase, labels or phase is data.current,
                                  result_cells[phase])
        if data.current is Phase.CLOSED:
            line += [(GAP, ""), (" ■ CLOSED ", "current")]
        if line_width(line) <= width:
            return line
    return fit_line(line, width)


class PhaseStrip(Widget):
    """① Assess ✓ … ④ Verify, the current phase highlighted."""

    DEFAULT_CSS = """
    PhaseStrip {
        height: 1;
        width: 1fr;
        & > .phase-strip--current { color: $text-accent; text-style: bold reverse; }
        & > .phase-strip--done { color: $text-muted; }
        & > .phase-strip--ok { color: $text-success; text-style: bold; }
        & > .phase-strip--failed { color: $text-error; text-style: bold; }
        & > .phase-strip--muted { color: $text-muted; }
        & > .phase-strip--result { color: $foreground; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {f"phase-strip--{role}" for role in ROLES}

    progress: reactive[PhaseProgress | None] = reactive(None)
    """The phases' state; set by the screen."""

    def __init__(self, progress: PhaseProgress | None = None, *, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.progress = progress

    def render(self) -> Text:
        """The strip at the current width."""
        if self.progress is None:
            return Text("")
        line = strip_line(self.progress, self.size.width)
        return to_text(line, component_palette(self, "phase-strip", ROLES))
