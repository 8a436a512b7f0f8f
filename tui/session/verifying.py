"""Verification: automatic checklist items, ticks with notes, notes, and resolving the incident
with the derived SUCCESS / PARTIAL / FAILED."""

from __future__ import annotations

from tui.actions.registry import execute
from tui.adapters.kube_retry import retry_scope
from tui.domain import incident as ev
from tui.domain.checklist import ChecklistSection, StatusSummary, checklist, derive_status
from tui.domain.runbook import CheckItem
from tui.domain.status import CheckStatus, IncidentStatus, RollbackStatus, StepStatus
from tui.session.core import SessionCore, SessionError
from tui.session.events import RunFinished


class VerifyingMixin(SessionCore):
    """checklist / run_checks / tick / note / status / resolve."""

    def checklist(self) -> tuple[ChecklistSection, ...]:
        """The checklist by section with the current marks."""
        return checklist(self.runbook, self.state, self.values)

    def item(self, item_id: str) -> CheckItem:
        """The checklist item with that id (SessionError naming the manual ones)."""
        found = next((i for i in self.runbook.checklist_items() if i.id == item_id), None)
        if found is None:
            manual = ", ".join(i.id for i in self.runbook.checklist_items() if not i.automatic)
            raise SessionError(f"{item_id!r} is not a checklist item of {self.runbook.id} "
                               f"(manual items: {manual})")
        return found

    def run_checks(self) -> dict[str, CheckStatus]:
        """Evaluate the automatic items after the steps (gates were judged before them)."""
        if self.config.dry_run:
            return {}
        gates = {i.id for i in self.runbook.pre_rollback}
        results: dict[str, CheckStatus] = {}
        for item in self.runbook.checklist_items():
            if item.id in gates or item.check is None:
                continue
            with retry_scope(self.cancel, self.journal_retry({"check_id": item.id})):
                outcome = execute(item.check, self.ctx)
            results[item.id] = self.record_check_outcome(item, outcome)
        return results

    def tick(self, item_id: str, *, checked: bool = True, note: str = "") -> CheckStatus:
        """Mark a manual item done (or open again), with an optional note."""
        item = self.item(item_id)
        if item.automatic and checked:
            raise SessionError(f"{item_id} is checked automatically ({item.check.action if item.check else ''}"
                               "); run the checks instead of ticking it")
        if self.state.status is IncidentStatus.RESOLVED:
            raise SessionError(f"incident {self.incident_id} is resolved")
        status = CheckStatus.PASS if checked else CheckStatus.OPEN
        self.record(ev.CHECK_RECORDED, {"item_id": item.id, "status": status,
                                        "note": note.strip()})
        return status

    def note(self, text: str) -> None:
        """Add a free-text note to the incident."""
        if not text.strip():
            raise SessionError("a note needs some text")
        self.record(ev.NOTE_ADDED, {"text": text.strip()})

    def status(self) -> StatusSummary:
        """The derived rollback status now."""
        return derive_status(self.runbook, self.state)

    def resolve(self, verified_by: str | None = None) -> RollbackStatus:
        """Close the incident with the derived status (journaled; the session then ends)."""
        if self.state.status is IncidentStatus.RESOLVED:
            raise SessionError(f"incident {self.incident_id} is already resolved")
        running = self.state.running_step
        if running is not None:
            raise SessionError(f"step {running.step_id} is still running")
        self.before_resolve()
        summary = self.status()
        self.record(ev.INCIDENT_RESOLVED, {
            "outcome": summary.status.lower(), "status": summary.status,
            "verified_by": verified_by or self.config.actor_name(),
            "summary": summary.sentence()})
        self.publish(RunFinished(summary.status, summary.sentence(), self.snapshot()))
        return summary.status

    def resolve_if_complete(self) -> RollbackStatus | None:
        """Resolve when nothing is open any more (used after the last tick)."""
        summary = self.status()
        if summary.open_items or summary.open_steps or self.config.dry_run:
            return None
        if any(self.state.step_status(s.id) is StepStatus.RUNNING for s in self.runbook.steps):
            return None
        return self.resolve()
