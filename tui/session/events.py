"""What an incident session tells its subscribers: typed, immutable, past tense.

Each event that follows a journal append carries the incident state after it (a copy the
subscriber may keep). A follower replaying another process's journal produces the same events
from the journal lines (`from_journal`), so every front end reacts to one vocabulary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tui.domain import incident as ev
from tui.domain.incident import IncidentState, JournalEvent
from tui.domain.status import CheckStatus, RollbackStatus, StepStatus


@dataclass(frozen=True)
class SessionEvent:
    """Base of everything a session publishes."""


@dataclass(frozen=True)
class Journaled(SessionEvent):
    """An event was appended to the journal (durably) and applied to the state."""

    event: JournalEvent
    state: IncidentState


@dataclass(frozen=True)
class StepStarted(SessionEvent):
    """A step began (after any confirmation)."""

    step_id: str
    title: str
    attempt: int
    request: str
    state: IncidentState


@dataclass(frozen=True)
class StepProgressed(SessionEvent):
    """A running step reported a line of progress (not journaled line by line)."""

    step_id: str
    line: str


@dataclass(frozen=True)
class StepFinished(SessionEvent):
    """A step ended: ok, failed, skipped or interrupted, with its summary and output."""

    step_id: str
    status: StepStatus
    summary: str
    lines: tuple[str, ...]
    state: IncidentState


@dataclass(frozen=True)
class CheckRecorded(SessionEvent):
    """A checklist item was marked (automatically or by a person)."""

    item_id: str
    status: CheckStatus
    note: str
    automatic: bool
    state: IncidentState


@dataclass(frozen=True)
class NoteAdded(SessionEvent):
    """Someone added a note to the incident."""

    text: str
    actor: str
    state: IncidentState


@dataclass(frozen=True)
class WarningRaised(SessionEvent):
    """Something needs the operator's attention but did not stop the incident."""

    message: str
    state: IncidentState


@dataclass(frozen=True)
class ConfirmationRequested(SessionEvent):
    """A step waits for the operator's go (the confirmer was asked)."""

    request: ConfirmationRequest


@dataclass(frozen=True)
class StopRequested(SessionEvent):
    """Someone asked to stop: at the next safe point, or at once (abort)."""

    level: str
    state: IncidentState


@dataclass(frozen=True)
class RunFinished(SessionEvent):
    """The procedure reached its end or stopped; the derived rollback status."""

    status: RollbackStatus
    summary: str
    state: IncidentState
    stopped: bool = False


@dataclass(frozen=True)
class ConfirmationRequest:
    """What the operator is asked before a step that needs confirmation."""

    step_id: str
    title: str
    question: str
    command: str | None = None
    request: str = ""
    danger: bool = False
    point_of_no_return: bool = False
    type_to_confirm: str | None = None
    consequences: tuple[str, ...] = ()
    where: str = ""
    rerun: bool = False
    extra: dict[str, str] = field(default_factory=dict)


Subscriber = Callable[[SessionEvent], None]


def from_journal(event: JournalEvent, state: IncidentState) -> list[SessionEvent]:
    """The typed events one journal line stands for, given the state after it."""
    data = event.data
    out: list[SessionEvent] = [Journaled(event, state)]
    if event.type == ev.STEP_STARTED:
        step_id = str(data.get("step_id"))
        step = state.steps.get(step_id)
        out.append(StepStarted(step_id, str(data.get("title", "")),
                               step.attempts if step else 1, str(data.get("request", "")),
                               state))
    elif event.type == ev.STEP_FINISHED:
        step_id = str(data.get("step_id"))
        status = state.step_status(step_id)
        output = data.get("output")
        lines = tuple(str(x) for x in output) if isinstance(output, list) else ()
        out.append(StepFinished(step_id, status, str(data.get("detail", "")), lines, state))
    elif event.type == ev.CHECK_RECORDED:
        item_id = str(data.get("item_id"))
        out.append(CheckRecorded(item_id, state.check_status(item_id), str(data.get("note", "")),
                                 bool(data.get("automatic")), state))
    elif event.type == ev.NOTE_ADDED:
        out.append(NoteAdded(str(data.get("text", "")), event.actor, state))
    elif event.type == ev.WARNING_RAISED:
        out.append(WarningRaised(str(data.get("message", "")), state))
    elif event.type == ev.STOP_REQUESTED:
        out.append(StopRequested(str(data.get("level", "")), state))
    return out
