"""Incident events, the journal's line format and hash chain, and state replay.

Pure: everything here works on bytes and objects; reading and writing files is the adapter's job
(`tui.adapters.journal`).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from tui.domain.gc_pause import gc_paused
from tui.domain.redaction import MASK, Redactor, redact
from tui.domain.status import CheckStatus, IncidentStatus, StepStatus

StrEnumT = TypeVar("StrEnumT", bound=StrEnum)

__all__ = ["MASK", "Redactor", "redact"]  # redaction lives in its own module; kept importable here

JOURNAL_VERSION = 1
GENESIS = "0" * 64
FIELD_ORDER = ("v", "seq", "ts", "actor", "type", "data", "prev")

INCIDENT_OPENED = "incident.opened"
ASSESSMENT_RECORDED = "assessment.recorded"
DECISION_RECORDED = "decision.recorded"
STEP_STARTED = "step.started"
STEP_FINISHED = "step.finished"
CHECK_RECORDED = "check.recorded"
NOTE_ADDED = "note.added"
INCIDENT_RESOLVED = "incident.resolved"
TORN_TAIL_QUARANTINED = "journal.torn_tail_quarantined"
CLUSTER_CONNECTED = "cluster.connected"
BASELINE_CAPTURED = "baseline.captured"
RBAC_CHECKED = "rbac.checked"
WARNING_RAISED = "warning.raised"
RUN_INTERRUPTED = "run.interrupted"
TARGET_RESOLVED = "target.resolved"
BASELINES_FROZEN = "baselines.frozen"
CONFIRMATION_ANSWERED = "confirmation.answered"
STOP_REQUESTED = "stop.requested"
SESSION_RESUMED = "session.resumed"
COMMS_DRAFTED = "comms.drafted"
COMMS_SENT = "comms.sent"
POSTMORTEM_UPDATED = "postmortem.updated"
REQUEST_RETRIED = "request.retried"  # a transient API failure (5xx, 429, 409) tried again
# Practice drills: the scenario and its ground truth, each twist as it fires, and at the end
# the drill cluster's own record of the changes made to it (what the scorecard is built from).
DRILL_STARTED = "drill.started"
DRILL_TWIST = "drill.twist"
DRILL_RECORD = "drill.record"
STEP_FINISHED_STATUSES = tuple(s for s in StepStatus if s.finished)
CHECK_STATUSES = tuple(CheckStatus)


@dataclass(frozen=True)
class JournalEvent:
    """One line of the incident journal."""

    v: int
    seq: int
    ts: str
    actor: str
    type: str
    data: dict[str, Any]
    prev: str

    def to_dict(self) -> dict[str, Any]:
        """Return the event as a dict in journal field order."""
        return {key: getattr(self, key) for key in FIELD_ORDER}


# --- line format and hash chain -------------------------------------------------------------


def canonical_line(event_dict: Mapping[str, Any]) -> bytes:
    """Serialise an event as one compact UTF-8 JSON line in journal field order."""
    ordered = {key: event_dict[key] for key in FIELD_ORDER}
    try:
        text = json.dumps(ordered, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return text.encode("utf-8") + b"\n"
    except UnicodeEncodeError:
        # A lone surrogate cannot be UTF-8; escaping it keeps the line valid JSON and readable.
        text = json.dumps(ordered, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
        return text.encode("ascii") + b"\n"


def line_hash(line_bytes: bytes) -> str:
    """Return the sha256 hex digest of a journal line's exact bytes (newline included)."""
    return hashlib.sha256(line_bytes).hexdigest()


@dataclass(frozen=True, slots=True)
class TornTail:
    """An incomplete or unparseable last line, left by a crash mid-write."""

    offset: int
    length: int
    reason: str


@dataclass(frozen=True, slots=True)
class JournalProblem:
    """A line that breaks the journal's format or hash chain (1-based line number)."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class ParsedJournal:
    """The events of a journal, its torn tail if any, and every problem found on the way."""

    events: list[JournalEvent]
    torn_tail: TornTail | None
    problems: list[JournalProblem]
    last_hash: str = GENESIS
    valid_length: int = 0
    line_count: int = 0
    next_seq: int = 1  # the seq the line after the last whole line should carry


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The outcome of checking a journal's hash chain."""

    ok: bool
    lines_checked: int
    first_bad_line: int | None
    reason: str
    torn_tail: TornTail | None = None
    last_hash: str = GENESIS


_new_instance = object.__new__
_set_attribute = object.__setattr__
_REQUIRED = (("v", int), ("seq", int), ("ts", str), ("actor", str), ("type", str))
_REQUIRED += (("data", dict), ("prev", str))


def _as_event(obj: dict[str, Any]) -> JournalEvent | str:
    """Return the event a parsed line holds, or why it is not one."""
    get = obj.get
    v, seq, ts, actor = get("v"), get("seq"), get("ts"), get("actor")
    kind, data, prev = get("type"), get("data"), get("prev")
    # Exact type checks (bool is not an int here) in one expression: this runs once per line.
    if (
        type(v) is int
        and type(seq) is int
        and type(ts) is str
        and type(actor) is str
        and type(kind) is str
        and type(data) is dict
        and type(prev) is str
    ):
        if len(obj) > len(_REQUIRED):
            if len(obj) == len(_REQUIRED) + 1 and "mac" in obj:
                del obj["mac"]  # checked on the line's bytes by verification, not needed here
            else:  # extra fields (a newer writer): keep only ours
                return JournalEvent(v, seq, ts, actor, kind, data, prev)
        # Replay has ~5 µs per line; the frozen __init__ alone costs 1. The parsed dict holds
        # exactly the fields, so it becomes the instance's __dict__ as is.
        event = _new_instance(JournalEvent)
        _set_attribute(event, "__dict__", obj)
        return event
    wrong = next(key for key, kind in _REQUIRED if type(get(key)) is not kind)
    return f"field {wrong!r} is missing or not {dict(_REQUIRED)[wrong].__name__}"


_scan_once = json.JSONDecoder().scan_once


def _decode_lines(lines: list[bytes], body: memoryview) -> list[str | None]:
    """Decode lines as UTF-8; a line that is not valid UTF-8 becomes None."""
    try:
        # One decode of the whole body is much cheaper than one per line, and a b"\n" byte is
        # always a newline in UTF-8, so the split lines up with the byte lines.
        return str(body, "utf-8").split("\n")[: len(lines)]
    except UnicodeDecodeError:
        return [_decode_or_none(line) for line in lines]


def _decode_or_none(line: bytes) -> str | None:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _load(text: str | None) -> object:
    """Parse one line as a single JSON value; return why not (a str) when it is not one."""
    if text is None:
        return "not valid UTF-8"
    try:
        obj, end = _scan_once(text, 0)
    except (StopIteration, ValueError):
        return "not valid JSON"
    if end != len(text):
        return f"not valid JSON (unexpected data at column {end + 1})"
    return obj if type(obj) is dict else "not a JSON object"


def parse_journal(
    data: bytes, *, prev_hash: str = GENESIS, next_seq: int = 1, first_line: int = 1
) -> ParsedJournal:
    """Parse journal bytes, checking seq and hash chain; a torn last line is set aside.

    By default `data` is a whole journal. A reader that already holds the journal up to some
    line passes the bytes after it with that line's hash, the seq expected next and the number
    of the first line in `data`, and gets the same checks and line numbers as a full parse.
    """
    with gc_paused():
        return _parse(data, prev_hash, next_seq, first_line)


def _parse(data: bytes, prev_hash: str, expected_seq: int, first_line: int) -> ParsedJournal:
    lines = data.split(b"\n")
    tail = lines.pop()  # bytes after the final newline: empty unless the last line is torn
    body = memoryview(data)[: len(data) - len(tail)]
    loaded = [_load(text) for text in _decode_lines(lines, body)]
    torn: TornTail | None = None
    if tail:
        torn = TornTail(len(data) - len(tail), len(tail), "last line has no newline")
    elif lines and isinstance(loaded[-1], str):
        last = lines.pop()
        reason = f"last line is {loaded.pop()}"
        torn = TornTail(len(data) - len(last) - 1, len(last) + 1, reason)
    hashes = [hashlib.sha256(line + b"\n").hexdigest() for line in lines]
    events: list[JournalEvent] = []
    problems: dict[int, str] = {}
    for index, obj in enumerate(loaded):
        number = index + first_line
        event = obj if isinstance(obj, str) else _as_event(obj)
        if isinstance(event, str):
            problems.setdefault(number, f"line {number}: {event}")
        else:
            events.append(event)
            if event.seq != expected_seq:
                # A removed or inserted line also breaks this line's prev: one problem says both.
                problems.setdefault(
                    number,
                    f"line {number}: seq {event.seq}, expected {expected_seq} "
                    "(a line was removed, inserted or reordered, or this seq altered)",
                )
                expected_seq = event.seq
            elif event.prev != prev_hash:
                _blame_link(index, first_line, loaded, hashes, problems)
        expected_seq += 1
        prev_hash = hashes[index]
    return ParsedJournal(
        events=events,
        torn_tail=torn,
        problems=[JournalProblem(n, r) for n, r in sorted(problems.items())],
        last_hash=prev_hash,
        valid_length=torn.offset if torn else len(data),
        line_count=len(lines),
        next_seq=expected_seq,
    )


def _blame_link(
    index: int, first_line: int, loaded: list[object], hashes: list[str], out: dict[int, str]
) -> None:
    """Record which line a broken link (the prev of `loaded[index]`) most likely points at."""
    number = index + first_line
    # An edited line changes its own hash, so the *next* line's prev stops matching. If the
    # link after `number` still holds, `number` is intact and the line before it was altered.
    following = loaded[index + 1] if index + 1 < len(loaded) else None
    own_hash_broken = isinstance(following, dict) and following.get("prev") != hashes[index]
    # The line before the first one in `data` is the caller's, already checked: not to blame.
    if index == 0 or own_hash_broken:
        out.setdefault(
            number, f"line {number}: prev does not match the hash of the line before it (altered)"
        )
    else:
        out.setdefault(
            number - 1,
            f"line {number - 1}: its hash no longer matches the prev recorded by line {number} "
            "(line altered)",
        )


def verify_chain(data: bytes) -> VerifyResult:
    """Check every line parses, seq counts up from 1 and each prev hashes the line before it."""
    parsed = parse_journal(data)
    checked = parsed.line_count
    warning = ""
    if parsed.torn_tail:
        tail = parsed.torn_tail
        warning = f"torn last line at byte {tail.offset} ({tail.length} bytes, {tail.reason})"
    if parsed.problems:
        first = parsed.problems[0]
        reason = first.reason + (f"; also {warning}" if warning else "")
        return VerifyResult(False, checked, first.line, reason, parsed.torn_tail, parsed.last_hash)
    reason = f"chain intact; warning: {warning}" if warning else "chain intact"
    return VerifyResult(True, checked, None, reason, parsed.torn_tail, parsed.last_hash)


# --- incident state ----------------------------------------------------------------------------


@dataclass(slots=True)
class StepState:
    """Where one runbook step stands."""

    step_id: str
    status: StepStatus = StepStatus.PENDING
    title: str = ""
    started_at: str | None = None
    finished_at: str | None = None
    detail: str = ""
    dry_run: bool = False
    attempts: int = 0
    data: dict[str, Any] = field(default_factory=dict)
    output: list[str] = field(default_factory=list)
    request: str = ""
    confirmed_by: str = ""
    reason: str = ""
    evidence: str = ""


@dataclass(frozen=True, slots=True)
class Note:
    """A free-text note added to the incident."""

    ts: str
    actor: str
    text: str


@dataclass(slots=True)
class CheckState:
    """A checklist item's mark, who set it, and how."""

    status: CheckStatus = CheckStatus.OPEN
    note: str = ""
    actor: str = ""
    ts: str = ""
    automatic: bool = False
    gate: bool = False
    value: Any = None


@dataclass(slots=True)
class IncidentState:
    """Everything the UI shows about an incident, derived by replaying its journal."""

    incident_id: str | None = None
    title: str = ""
    runbook_id: str | None = None
    runbook_version: str = ""
    runbook_sha256: str = ""
    runbook_source: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    connection: dict[str, Any] = field(default_factory=dict)
    severity: str | None = None
    drill: bool = False
    dry_run: bool = False
    headless: bool = False
    opened_by: str = ""
    opened_at: str | None = None
    resolved_at: str | None = None
    status: IncidentStatus = IncidentStatus.OPEN
    outcome: str | None = None
    rollback_status: str | None = None
    verified_by: str = ""
    assessment: dict[str, Any] | None = None
    assessments: int = 0
    first_assessed_at: str | None = None
    decision: dict[str, Any] | None = None
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    steps: dict[str, StepState] = field(default_factory=dict)
    checks: dict[str, str] = field(default_factory=dict)
    check_notes: dict[str, str] = field(default_factory=dict)
    check_states: dict[str, CheckState] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    cluster: dict[str, Any] | None = None
    baselines: dict[str, dict[str, Any]] = field(default_factory=dict)
    baselines_frozen_at: str | None = None
    rbac: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    interrupted: bool = False
    stop_requested: str | None = None
    resumes: list[dict[str, Any]] = field(default_factory=list)
    comms: list[dict[str, Any]] = field(default_factory=list)
    comms_drafts: dict[str, dict[str, Any]] = field(default_factory=dict)
    postmortem: dict[str, Any] = field(default_factory=dict)
    drill_scenario: dict[str, Any] | None = None  # drill.started: scenario, truth, speed
    twists: list[dict[str, Any]] = field(default_factory=list)  # drill.twist, as they fired
    drill_record: dict[str, Any] | None = None  # drill.record: the cluster's change record
    event_count: int = 0
    last_seq: int = 0
    last_ts: str | None = None

    def step_status(self, step_id: str) -> StepStatus:
        """Return a step's status, pending when it has never been started."""
        step = self.steps.get(step_id)
        return step.status if step else StepStatus.PENDING

    def check_status(self, item_id: str) -> CheckStatus:
        """Return a checklist item's mark, open when it has none."""
        return CheckStatus(self.checks.get(item_id, CheckStatus.OPEN))

    def target(self, namespace: str, deployment: str) -> dict[str, Any] | None:
        """The rollback target frozen for a Deployment at decision time, if any."""
        return self.targets.get(f"{namespace}/{deployment}")

    @property
    def running_step(self) -> StepState | None:
        """The step started and not finished, if any."""
        return next((s for s in self.steps.values() if s.status is StepStatus.RUNNING), None)

    @property
    def decided(self) -> bool:
        """Whether a decision has been recorded."""
        return self.decision is not None

    def copy(self) -> IncidentState:
        """An independent copy (subscribers on other threads read it while the state moves on)."""
        clone = copy.copy(self)
        for name in ("params", "connection", "targets", "checks", "check_notes", "baselines",
                     "comms_drafts", "postmortem"):
            setattr(clone, name, dict(getattr(self, name)))
        clone.steps = {k: copy.copy(v) for k, v in self.steps.items()}
        clone.check_states = {k: copy.copy(v) for k, v in self.check_states.items()}
        for name in ("notes", "quarantined", "warnings", "resumes", "comms"):
            setattr(clone, name, list(getattr(self, name)))
        return clone


def _step(state: IncidentState, event: JournalEvent) -> StepState:
    step_id = str(event.data.get("step_id"))
    step = state.steps.get(step_id)
    if step is None:
        step = state.steps[step_id] = StepState(step_id)
    return step


def _status(enum: type[StrEnumT], value: Any, default: StrEnumT) -> StrEnumT:
    try:
        return enum(value)
    except ValueError:  # written by newer code: keep replaying
        return default


def _on_step_started(state: IncidentState, event: JournalEvent) -> None:
    data, step = event.data, _step(state, event)
    step.status, step.attempts = StepStatus.RUNNING, step.attempts + 1
    step.title = str(data.get("title", step.title))
    step.dry_run = bool(data.get("dry_run", False))
    step.started_at, step.finished_at, step.detail = event.ts, None, ""
    step.request = str(data.get("request", ""))
    step.confirmed_by = str(data.get("confirmed_by", ""))
    step.output, step.reason, step.evidence = [], "", ""


def _on_step_finished(state: IncidentState, event: JournalEvent) -> None:
    data, step = event.data, _step(state, event)
    step.status = _status(StepStatus, data.get("status", "ok"), StepStatus.FAILED)
    step.finished_at = event.ts
    step.detail = str(data.get("detail", ""))
    step.title = str(data.get("title", step.title))
    raw = data.get("data")
    step.data = dict(raw) if isinstance(raw, dict) else {}
    output = data.get("output")
    step.output = [str(line) for line in output] if isinstance(output, list) else []
    step.reason = str(data.get("reason", ""))
    step.evidence = str(data.get("evidence", ""))


def _on_check(state: IncidentState, event: JournalEvent) -> None:
    data = event.data
    item_id = str(data.get("item_id"))
    status = _status(CheckStatus, data.get("status", "open"), CheckStatus.OPEN)
    state.checks[item_id] = status
    state.check_notes[item_id] = str(data.get("note", ""))
    state.check_states[item_id] = CheckState(
        status, str(data.get("note", "")), event.actor, event.ts,
        bool(data.get("automatic", False)), bool(data.get("gate", False)), data.get("value"))


def _on_opened(state: IncidentState, event: JournalEvent) -> None:
    data = event.data
    state.incident_id, state.title = data.get("incident_id"), str(data.get("title", ""))
    state.runbook_id, state.params = data.get("runbook_id"), dict(data.get("params") or {})
    state.connection = dict(data.get("connection") or {})
    state.runbook_version = str(data.get("runbook_version", ""))
    state.runbook_sha256 = str(data.get("runbook_sha256", ""))
    state.runbook_source = str(data.get("runbook_source", ""))
    state.severity, state.drill = data.get("severity"), bool(data.get("drill", False))
    state.dry_run, state.headless = bool(data.get("dry_run")), bool(data.get("headless"))
    state.opened_at, state.status, state.opened_by = event.ts, IncidentStatus.OPEN, event.actor


def _on_resolved(state: IncidentState, event: JournalEvent) -> None:
    data = event.data
    state.status, state.resolved_at = IncidentStatus.RESOLVED, event.ts
    state.outcome = data.get("outcome")
    state.rollback_status = data.get("status") or state.rollback_status
    state.verified_by = str(data.get("verified_by", "") or event.actor)


def _on_assessment(state: IncidentState, event: JournalEvent) -> None:
    state.assessment = event.data
    state.assessments += 1
    state.first_assessed_at = state.first_assessed_at or event.ts
    severity = (event.data.get("inputs") or {}).get("severity")
    if severity:
        state.severity = str(severity)


def _on_target(state: IncidentState, event: JournalEvent) -> None:
    data = event.data
    state.targets[f"{data.get('namespace')}/{data.get('deployment')}"] = data


def _on_cluster(state: IncidentState, event: JournalEvent) -> None:
    state.cluster = event.data
    if event.data.get("drill"):
        state.drill = True


def _on_stop(state: IncidentState, event: JournalEvent) -> None:
    state.stop_requested = str(event.data.get("level", "next_safe_point"))


def _on_interrupted(state: IncidentState, event: JournalEvent) -> None:
    state.interrupted = True


def _on_resumed(state: IncidentState, event: JournalEvent) -> None:
    # A new process picks the incident up: the old one's stop request died with it.
    state.resumes.append(event.data)
    state.stop_requested, state.interrupted = None, False


_HANDLERS: dict[str, Callable[[IncidentState, JournalEvent], None]] = {
    STEP_STARTED: _on_step_started,
    STEP_FINISHED: _on_step_finished,
    CHECK_RECORDED: _on_check,
    NOTE_ADDED: lambda s, e: s.notes.append(Note(e.ts, e.actor, str(e.data.get("text", "")))),
    INCIDENT_OPENED: _on_opened,
    ASSESSMENT_RECORDED: _on_assessment,
    DECISION_RECORDED: lambda s, e: setattr(s, "decision", e.data),
    TARGET_RESOLVED: _on_target,
    INCIDENT_RESOLVED: _on_resolved,
    TORN_TAIL_QUARANTINED: lambda s, e: s.quarantined.append(e.data),
    CLUSTER_CONNECTED: _on_cluster,
    BASELINE_CAPTURED: lambda s, e: s.baselines.__setitem__(str(e.data.get("metric")), e.data),
    BASELINES_FROZEN: lambda s, e: setattr(s, "baselines_frozen_at", e.ts),
    RBAC_CHECKED: lambda s, e: setattr(s, "rbac", e.data),
    WARNING_RAISED: lambda s, e: s.warnings.append(str(e.data.get("message", ""))),
    RUN_INTERRUPTED: _on_interrupted,
    STOP_REQUESTED: _on_stop,
    SESSION_RESUMED: _on_resumed,
    COMMS_SENT: lambda s, e: s.comms.append({**e.data, "sent_at": e.data.get("sent_at") or e.ts,
                                             "sent_by": e.actor}),
    COMMS_DRAFTED: lambda s, e: s.comms_drafts.__setitem__(str(e.data.get("template")), e.data),
    POSTMORTEM_UPDATED: lambda s, e: s.postmortem.__setitem__(str(e.data.get("section")),
                                                             e.data.get("value")),
    DRILL_STARTED: lambda s, e: setattr(s, "drill_scenario", e.data),
    DRILL_TWIST: lambda s, e: s.twists.append({**e.data, "journaled_at": e.ts}),
    DRILL_RECORD: lambda s, e: setattr(s, "drill_record", e.data),
}


def apply_event(state: IncidentState, event: JournalEvent) -> None:
    """Fold one event into `state` in place; unknown types only count (written by newer code)."""
    handler = _HANDLERS.get(event.type)
    if handler is not None:
        handler(state, event)
    state.event_count += 1
    state.last_seq = event.seq
    state.last_ts = event.ts


def replay(events: Iterable[JournalEvent], *, live: bool = False) -> IncidentState:
    """Derive incident state from events; unfinished steps become "interrupted" unless `live`."""
    state = IncidentState()
    with gc_paused():
        for event in events:
            apply_event(state, event)
    if not live:
        mark_interrupted(state)
    return state


def mark_interrupted(state: IncidentState) -> None:
    """Mark every step still running as interrupted: its outcome was never journaled."""
    for step in state.steps.values():
        if step.status is StepStatus.RUNNING:
            step.status = StepStatus.INTERRUPTED
