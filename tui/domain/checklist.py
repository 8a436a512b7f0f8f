"""The checklist as people read it: the runbook's items by section with their marks, and the
seed's derived Rollback Status (SUCCESS / PARTIAL / FAILED)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tui.domain.incident import IncidentState
from tui.domain.runbook import CheckItem, Runbook, render_args
from tui.domain.status import (
    CheckStatus,
    IncidentStatus,
    Phase,
    RollbackStatus,
    StepStatus,
    rollback_status,
)


@dataclass(frozen=True)
class ChecklistEntry:
    """One item with its mark: who set it, when, and the note or measured value."""

    item_id: str
    text: str
    section: str
    automatic: bool
    status: CheckStatus
    note: str = ""
    actor: str = ""
    ts: str = ""
    gate: bool = False

    @property
    def symbol(self) -> str:
        """✓ passed, ✗ failed, ◌ open (colour is never the only signal)."""
        return {CheckStatus.PASS: "✓", CheckStatus.FAIL: "✗"}.get(self.status, "◌")


@dataclass(frozen=True)
class ChecklistSection:
    """A titled group of items (the seed's sections)."""

    key: str
    title: str
    entries: tuple[ChecklistEntry, ...]

    @property
    def done(self) -> int:
        """How many items passed."""
        return sum(e.status is CheckStatus.PASS for e in self.entries)


SECTIONS = (
    ("pre_rollback", "Pre-rollback"),
    ("verification", "Post-rollback verification"),
    ("validation", "Rollback validation"),
    ("communication", "Communication"),
    ("post_rollback", "Post-rollback actions"),
)


def section_items(runbook: Runbook) -> dict[str, tuple[CheckItem, ...]]:
    """The runbook's checklist items, by section key."""
    return {
        "pre_rollback": runbook.pre_rollback, "verification": runbook.verification,
        "validation": runbook.validation,
        "communication": tuple(runbook.communication.get("checklist", ())),
        "post_rollback": runbook.post_rollback,
    }


def _text(item: CheckItem, values: Mapping[str, str]) -> str:
    try:
        return str(render_args(item.item, values))
    except ValueError:
        return item.item


def checklist(runbook: Runbook, state: IncidentState,
              values: Mapping[str, str] | None = None) -> tuple[ChecklistSection, ...]:
    """Every section with its items' current marks (empty sections left out)."""
    values = values if values is not None else {k: str(v) for k, v in state.params.items()}
    sections = []
    items = section_items(runbook)
    for key, title in SECTIONS:
        entries = []
        for item in items[key]:
            mark = state.check_states.get(item.id)
            entries.append(ChecklistEntry(
                item.id, _text(item, values), key, item.automatic,
                state.check_status(item.id), mark.note if mark else "",
                mark.actor if mark else "", mark.ts if mark else "",
                bool(mark and mark.gate)))
        if entries:
            sections.append(ChecklistSection(key, title, tuple(entries)))
    return tuple(sections)


@dataclass(frozen=True)
class StatusSummary:
    """The derived rollback status and what it rests on."""

    status: RollbackStatus
    failed_steps: tuple[str, ...]
    failed_items: tuple[str, ...]
    open_steps: tuple[str, ...]
    open_items: tuple[str, ...]
    passed_items: int

    def sentence(self) -> str:
        """`PARTIAL — 3 items open: smoke_tests, …`."""
        parts = []
        if self.failed_steps:
            parts.append(f"step(s) failed: {', '.join(self.failed_steps)}")
        if self.failed_items:
            parts.append(f"check(s) failed: {', '.join(self.failed_items)}")
        if self.open_steps:
            parts.append(f"{len(self.open_steps)} step(s) not done")
        if self.open_items:
            shown = ", ".join(self.open_items[:4]) + (" …" if len(self.open_items) > 4 else "")
            parts.append(f"{len(self.open_items)} item(s) open: {shown}")
        return f"{self.status} — " + ("; ".join(parts) or f"all {self.passed_items} items passed")


def derive_status(runbook: Runbook, state: IncidentState) -> StatusSummary:
    """The seed's Rollback Status: FAILED when a step or a check failed, PARTIAL while steps or
    items are open, SUCCESS when everything passed."""
    failed_steps, open_steps = [], []
    for step in runbook.steps:
        status = state.step_status(step.id)
        if status in (StepStatus.FAILED, StepStatus.INTERRUPTED):
            failed_steps.append(step.id)
        elif not status.done:
            open_steps.append(step.id)
    items = runbook.checklist_items()
    failed_items = [i.id for i in items if state.check_status(i.id) is CheckStatus.FAIL]
    open_items = [i.id for i in items if state.check_status(i.id) is CheckStatus.OPEN]
    passed = sum(state.check_status(i.id) is CheckStatus.PASS for i in items)
    status = rollback_status(failed=bool(failed_steps or failed_items),
                             open_items=len(open_items) + len(open_steps))
    return StatusSummary(status, tuple(failed_steps), tuple(failed_items), tuple(open_steps),
                         tuple(open_items), passed)


def incident_phase(runbook: Runbook, state: IncidentState) -> Phase:
    """The phase an incident is in, from its journal alone: assess until assessed (or decided
    outside the tool), decide until decided, execute while a rollback's steps remain, then
    verify; a decision not to roll back goes straight to verify (to record and close)."""
    if state.status is IncidentStatus.RESOLVED:
        return Phase.CLOSED
    if state.decision is None:
        return Phase.ASSESS if state.assessment is None else Phase.DECIDE
    if str(state.decision.get("decision")) != "ROLLBACK":
        return Phase.VERIFY
    if any(not state.step_status(s.id).done for s in runbook.steps):
        return Phase.EXECUTE
    return Phase.VERIFY
