"""The one vocabulary of statuses: steps, checklist items, incidents, rollbacks, phases.

StrEnums, so they compare equal to the plain strings the journal stores and older journals
replay unchanged.
"""

from __future__ import annotations

from enum import StrEnum


class StepStatus(StrEnum):
    """Where a runbook step stands."""

    PENDING = "pending"
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"
    INTERRUPTED = "interrupted"

    @property
    def finished(self) -> bool:
        """Whether the step has an outcome (it is neither waiting nor running)."""
        return self not in (StepStatus.PENDING, StepStatus.RUNNING)

    @property
    def done(self) -> bool:
        """Whether the procedure may move past the step (it succeeded or was skipped)."""
        return self in (StepStatus.OK, StepStatus.SKIPPED)


class CheckStatus(StrEnum):
    """A checklist item: passed, failed, or still open."""

    PASS = "pass"
    FAIL = "fail"
    OPEN = "open"


class IncidentStatus(StrEnum):
    """Whether an incident is still being worked on."""

    OPEN = "open"
    RESOLVED = "resolved"


class RollbackStatus(StrEnum):
    """The seed's Rollback Status of the verification checklist."""

    SUCCESS = "SUCCESS"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"


class Phase(StrEnum):
    """The four phases of a rollback, and closed."""

    ASSESS = "assess"
    DECIDE = "decide"
    EXECUTE = "execute"
    VERIFY = "verify"
    CLOSED = "closed"

    @property
    def number(self) -> int:
        """1 to 4 for the phases (as in the phase strip), 5 when closed."""
        return list(Phase).index(self) + 1

    @property
    def label(self) -> str:
        """`Assess`, `Decide`, …"""
        return self.value.capitalize()


def rollback_status(*, failed: bool, open_items: int) -> RollbackStatus:
    """SUCCESS when nothing failed and nothing is open, PARTIAL when items are open."""
    if failed:
        return RollbackStatus.FAILED
    return RollbackStatus.PARTIAL if open_items else RollbackStatus.SUCCESS
