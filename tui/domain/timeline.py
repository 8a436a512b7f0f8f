"""Journal events as human timeline lines: `rollback follow`, `incidents show`, the TUI timeline.

Everything read from the journal is data. It is never markup (front ends must render `text` as
plain text, e.g. `rich.text.Text(entry.text)`), and control characters, terminal escape sequences
and bidirectional overrides are removed here, so a line is safe to print on any terminal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tui.domain.incident import JournalEvent
from tui.domain.safe_text import VALUE_LIMIT, clip, plain

TEXT_LIMIT = 240  # characters of a whole line's text
ACTOR_LIMIT = 80
NO_TIME = "--:--:--"


class EventCategory(StrEnum):
    """What part of the incident an event belongs to."""

    INCIDENT = "incident"
    ASSESSMENT = "assessment"
    DECISION = "decision"
    TARGET = "target"
    BASELINE = "baseline"
    RBAC = "rbac"
    STEP = "step"
    CHECK = "check"
    NOTE = "note"
    WARNING = "warning"
    COMMS = "comms"
    SESSION = "session"
    JOURNAL = "journal"
    DRILL = "drill"


class EventSeverity(StrEnum):
    """How an event should be coloured; its symbol and words say the same."""

    INFO = "info"
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


class Symbol(StrEnum):
    """The mark in front of a timeline line: colour is never the only signal."""

    STARTED = "▶"
    OK = "✓"
    FAILED = "✗"
    WARNING = "!"
    OPEN = "◌"
    MARK = "■"  # a decision, a stop, a resolution: the incident changed course
    INFO = "•"


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One event as a human line; every string is plain, single-line and sanitised."""

    seq: int
    ts: str
    time_text: str
    actor: str
    category: EventCategory
    symbol: Symbol
    text: str
    severity: EventSeverity

    def line(self) -> str:
        """`04:12:07 ✓ step rollout_undo ok: …` (UTC time, symbol, text)."""
        return f"{self.time_text} {self.symbol} {self.text}"


def _brief(value: Any, limit: int = VALUE_LIMIT, *, nested: bool = False) -> str:
    """Any journal value as short plain text (lists and objects shown in part, bracketed inside)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int | str):
        return plain(str(value), limit)
    if isinstance(value, Mapping):
        pairs = list(value.items())[:6]
        items = [f"{_brief(k, 40)}={_brief(v, 60, nested=True)}" for k, v in pairs]
        brackets = "{}"
    elif isinstance(value, list | tuple):
        items = [_brief(v, 60, nested=True) for v in value[:6]]
        brackets = "[]"
    else:
        return plain(type(value).__name__, limit)
    text = ", ".join(items) + (", …" if len(value) > 6 else "")
    return clip(f"{brackets[0]}{text}{brackets[1]}" if nested else text, limit)


def _time_text(ts: str) -> str:
    """`04:12:07` from `2026-11-30T04:12:07.123Z`; dashes when the time is not ISO-8601."""
    match = re.match(r"\d{4}-\d\d-\d\dT(\d\d:\d\d:\d\d)", ts)
    return match.group(1) if match else NO_TIME


def _with(text: str, *details: str, sep: str = ", ") -> str:
    """`text (a, b)` with the empty details left out."""
    kept = [d for d in details if d]
    return f"{text} ({sep.join(kept)})" if kept else text


def _colon(text: str, detail: str) -> str:
    return f"{text}: {detail}" if detail else text


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


# ---- one describer per event type ------------------------------------------------------------

Described = tuple[EventCategory, Symbol, EventSeverity, str]
C, S, V = EventCategory, Symbol, EventSeverity  # short names keep each describer on a few lines


def _incident_opened(d: Mapping[str, Any], actor: str) -> Described:
    runbook = " ".join(x for x in (_brief(d.get("runbook_id")), _brief(d.get("runbook_version")))
                       if x)
    flags = [name for key, name in (("headless", "headless"), ("dry_run", "dry run"),
                                    ("drill", "drill")) if d.get(key) is True]
    text = _colon(f"incident {_brief(d.get('incident_id')) or '?'} opened", _brief(d.get("title")))
    return C.INCIDENT, S.STARTED, V.INFO, _with(text, f"runbook {runbook}" if runbook else "",
                                                 *flags)


def _assessment(d: Mapping[str, Any], actor: str) -> Described:
    inputs, rec = _mapping(d.get("inputs")), _mapping(d.get("recommendation"))
    text = "assessment"
    if d.get("impact_score") is not None:
        text += f": impact score {_brief(d.get('impact_score'))}"
    if rec.get("decision"):
        text += f" → {_brief(rec.get('decision'))}"
        text = _with(text, _brief(rec.get("urgency")))
    facts = [_brief(inputs.get("severity"))]
    if inputs.get("users_affected_pct") is not None:
        facts.append(f"{_brief(inputs.get('users_affected_pct'))}% of users affected")
    if inputs.get("trend"):
        facts.append(f"trend {_brief(inputs.get('trend'))}")
    votes = d.get("votes") if isinstance(d.get("votes"), list) else []
    counts: dict[str, int] = {}
    for vote in votes:
        name = _brief(_mapping(vote).get("vote"), 20).replace("_", " ")
        counts[name] = counts.get(name, 0) + 1
    if counts:
        facts.append("matrix " + " / ".join(f"{n} {name}" for name, n in counts.items()))
    warnings = rec.get("warnings") if isinstance(rec.get("warnings"), list) else []
    if warnings:
        facts.append(f"{len(warnings)} warning{'s' * (len(warnings) != 1)}: "
                     f"{_brief(warnings[0])}")
    facts = [fact for fact in facts if fact]
    if facts:
        text += "; " + ", ".join(facts)
    return C.ASSESSMENT, S.INFO, V.WARNING if warnings else V.INFO, text


def _decision(d: Mapping[str, Any], actor: str) -> Described:
    choice = _brief(d.get("decision")) or "?"
    by = _brief(d.get("authorized_by"), ACTOR_LIMIT) or actor
    head = _with(f"decision {choice}", _brief(d.get("strategy")).replace("_", " "))
    meeting = d.get("meeting_seconds")
    clock = ""
    if isinstance(meeting, int | float) and not isinstance(meeting, bool) and meeting >= 0:
        clock = f"meeting {int(meeting) // 60}:{int(meeting) % 60:02d}"
    lost = _brief(d.get("time_lost"))
    text = _colon(f"{head} by {by}", _brief(d.get("rationale")))
    taken = _brief(d.get("taken"))
    return C.DECISION, S.MARK, V.INFO, _with(text, f"time lost {lost}" if lost else "", clock,
                                             f"taken {taken}" if taken else "")


def _revision(revision: Any, version: Any) -> str:
    text = f"revision {_brief(revision)}" if revision is not None else ""
    return _with(text, _brief(version)) if text else _brief(version)


def _target(d: Mapping[str, Any], actor: str) -> Described:
    where = "/".join(x for x in (_brief(d.get("namespace")), _brief(d.get("deployment"))) if x)
    text = f"target {where or '?'} → {_revision(d.get('revision'), d.get('version')) or '?'}"
    live = _revision(d.get("live_revision"), d.get("live_version"))
    chosen = _brief(d.get("chosen_by"), ACTOR_LIMIT)
    text += f", live {live}" if live else ""
    text += f"; chosen by {chosen}" if chosen else ""
    return C.TARGET, S.INFO, V.INFO, _colon(text, _brief(d.get("reason")))


def _baseline(d: Mapping[str, Any], actor: str) -> Described:
    stats = [f"{key} {_brief(d.get(key))}" for key in ("mean", "p50", "p95", "max")
             if d.get(key) is not None]
    samples = d.get("samples")
    if isinstance(samples, int) and not isinstance(samples, bool):
        stats.append(f"{samples} samples")
    text = _colon(f"baseline {_brief(d.get('metric')) or '?'}", ", ".join(stats))
    return C.BASELINE, S.INFO, V.INFO, text


def _baselines_frozen(d: Mapping[str, Any], actor: str) -> Described:
    metrics = d.get("metrics")
    names = list(metrics) if isinstance(metrics, Mapping) else metrics
    at = _brief(d.get("at"))
    if at and _time_text(at) != NO_TIME:
        at = _time_text(at)
    text = "baselines frozen" + (f" at {at}" if at else "")
    return C.BASELINE, S.MARK, V.INFO, _colon(text, _brief(names))


def _cluster(d: Mapping[str, Any], actor: str) -> Described:
    text = _with(f"connected to cluster {_brief(d.get('context')) or '?'}", _brief(d.get("server")))
    if d.get("namespace"):
        text += f", namespace {_brief(d.get('namespace'))}"
    return C.TARGET, S.INFO, V.INFO, text + (" (in-cluster)" if d.get("in_cluster") is True else "")


def _rbac(d: Mapping[str, Any], actor: str) -> Described:
    checks = d.get("checks") if isinstance(d.get("checks"), list) else []
    denied = [_brief(_mapping(c).get("permission"), 60) for c in checks
              if _mapping(c).get("allowed") is False]
    where = f" in {_brief(d.get('namespace'))}" if d.get("namespace") else ""
    text = _colon(f"RBAC{where}", _brief(d.get("summary")))
    if denied:
        text += f"; denied: {', '.join(denied[:5])}" + (", …" if len(denied) > 5 else "")
    if d.get("ok") is True:
        return C.RBAC, S.OK, V.OK, text
    return C.RBAC, S.FAILED, V.ERROR, text


_CHECK_OUTCOMES = {"pass": ("passed", S.OK, V.OK), "fail": ("failed", S.FAILED, V.ERROR),
                   "open": ("open", S.OPEN, V.INFO)}


def _check(d: Mapping[str, Any], actor: str) -> Described:
    status = _brief(d.get("status"), 20)
    word, symbol, severity = _CHECK_OUTCOMES.get(status, (status or "?", S.WARNING, V.WARNING))
    text = _colon(f"check {_brief(d.get('item_id')) or '?'} {word}", _brief(d.get("note")))
    value = _brief(d.get("value"), 40)
    text = _with(text, "gate" if d.get("gate") is True else "",
                 f"value {value}" if value and value not in text else "")
    return C.CHECK, symbol, severity, text


def _step_started(d: Mapping[str, Any], actor: str) -> Described:
    text = _colon(f"step {_brief(d.get('step_id')) or '?'} started", _brief(d.get("title")))
    confirmed = _brief(d.get("confirmed_by"), ACTOR_LIMIT)
    text = _with(text, f"confirmed by {confirmed}" if confirmed else "",
                 "dry run" if d.get("dry_run") is True else "")
    return C.STEP, S.STARTED, V.INFO, text


_STEP_OUTCOMES = {"ok": (S.OK, V.OK), "failed": (S.FAILED, V.ERROR),
                  "skipped": (S.OPEN, V.INFO), "interrupted": (S.WARNING, V.WARNING)}


def _step_finished(d: Mapping[str, Any], actor: str) -> Described:
    status = _brief(d.get("status"), 20) or "?"
    symbol, severity = _STEP_OUTCOMES.get(status, (S.WARNING, V.WARNING))
    detail, reason = _brief(d.get("detail")), _brief(d.get("reason"))
    if not detail:  # a skipped step may carry only its reason
        detail, reason = reason, ""
    text = _colon(f"step {_brief(d.get('step_id')) or '?'} {status}", detail)
    evidence = _brief(d.get("evidence"), 60)
    text = _with(text, reason, f"evidence: {evidence}" if evidence else "", sep="; ")
    if status == "interrupted":
        text += " — check before re-running"
    return C.STEP, symbol, severity, text


def _confirmation(d: Mapping[str, Any], actor: str) -> Described:
    step = _brief(d.get("step_id")) or "?"
    question = _brief(d.get("question"))
    typed = " (typed the name)" if d.get("typed") is True else ""
    if d.get("answer") is True:
        return C.STEP, S.OK, V.OK, _colon(f"step {step} confirmed by {actor}{typed}", question)
    return C.STEP, S.MARK, V.WARNING, _colon(f"step {step} declined by {actor}", question)


def _stop(d: Mapping[str, Any], actor: str) -> Described:
    level = d.get("level")
    what = "abort requested" if level == "abort" else "stop requested"
    when = "at the next safe point" if level == "next_safe_point" else _brief(level)
    during = _brief(d.get("during_step"))
    text = _with(f"{what} by {actor}", when, f"during step {during}" if during else "")
    return C.SESSION, S.MARK, V.WARNING, text


def _interrupted(d: Mapping[str, Any], actor: str) -> Described:
    for key, words, advice in (("during_step", "during", " — check before re-running"),
                               ("before_step", "before", ""), ("after_step", "after", "")):
        if d.get(key):
            return (C.SESSION, S.WARNING, V.WARNING,
                    f"run interrupted {words} step {_brief(d.get(key))}{advice}")
    return C.SESSION, S.WARNING, V.WARNING, "run interrupted"


def _resumed(d: Mapping[str, Any], actor: str) -> Described:
    text = f"session resumed by {actor}"
    if d.get("pid") is not None:
        text = _with(text, f"pid {_brief(d.get('pid'))} on {_brief(d.get('host')) or '?'}")
    holder = d.get("previous_holder")
    previous = _brief(holder, 80)
    if isinstance(holder, Mapping) and holder.get("pid") is not None:
        previous = f"pid {_brief(holder.get('pid'))} on {_brief(holder.get('host')) or '?'}"
    if previous:
        text += f"; previous holder {previous}"
    steps = d.get("interrupted_steps")
    if isinstance(steps, list) and steps:
        return (C.SESSION, S.WARNING, V.WARNING,
                f"{text}; interrupted: {_brief(steps)} — check before re-running")
    return C.SESSION, S.STARTED, V.INFO, text


def _note(d: Mapping[str, Any], actor: str) -> Described:
    return C.NOTE, S.INFO, V.INFO, f"note by {actor}: {_brief(d.get('text'))}"


def _warning(d: Mapping[str, Any], actor: str) -> Described:
    return C.WARNING, S.WARNING, V.WARNING, f"warning: {_brief(d.get('message')) or '?'}"


_RESOLUTIONS = {"success": V.OK, "partial": V.WARNING, "failed": V.ERROR, "failure": V.ERROR}


def _resolved(d: Mapping[str, Any], actor: str) -> Described:
    status, outcome = _brief(d.get("status"), 40), _brief(d.get("outcome"))
    verified = _brief(d.get("verified_by"), ACTOR_LIMIT)
    text = _with(f"incident resolved: {status or outcome or '?'}",
                 outcome if status and outcome.lower() != status.lower() else "",
                 f"verified by {verified}" if verified else "")
    severity = _RESOLUTIONS.get((status or outcome).lower(), V.INFO)
    return C.INCIDENT, S.MARK, severity, text


def _torn_tail(d: Mapping[str, Any], actor: str) -> Described:
    text = (f"journal: a torn last line ({_brief(d.get('length'))} bytes at byte "
            f"{_brief(d.get('offset'))}) was set aside as {_brief(d.get('saved_as')) or '?'}")
    return C.JOURNAL, S.WARNING, V.WARNING, _colon(text, _brief(d.get("reason")))


def _drill_twist(d: Mapping[str, Any], actor: str) -> Described:
    head = f"TWIST {_brief(d.get('event'), 60) or '?'}"
    source = _brief(d.get("source"), 40)
    return C.DRILL, S.WARNING, V.WARNING, _colon(head, _brief(d.get("detail"))) + (
        f" ({source})" if source else "")


def _drill_started(d: Mapping[str, Any], actor: str) -> Described:
    # The truth itself stays out: this line is on the trainee's timeline during the drill, and
    # the decision is what the drill tests (the debrief and the drill report show it).
    scored = "scored against its ground truth" if _mapping(d.get("truth")) else "no ground truth"
    return C.DRILL, S.STARTED, V.INFO, (
        f"DRILL scenario {_brief(d.get('scenario'), 60) or '?'} started ({scored})")


def _drill_record(d: Mapping[str, Any], actor: str) -> Described:
    # Counted, never listed: a record may hold thousands of changes.
    from tui.domain.drill_facts import PRODUCT_AGENT  # here: drill_facts imports the exports

    changes = d.get("changes") if isinstance(d.get("changes"), list) else []
    outside = sum(1 for c in changes if not str(_mapping(c).get("user_agent", "")).startswith(
        PRODUCT_AGENT))
    deployments = len(_mapping(d.get("deployments")))
    return C.DRILL, S.OK, V.INFO, (
        f"DRILL the drill's change record: {len(changes)} change{'s' * (len(changes) != 1)} "
        f"({outside} outside the runbook's user agent), {deployments} "
        f"deployment{'s' * (deployments != 1)}")


def _comms(sent: bool) -> Callable[[Mapping[str, Any], str], Described]:
    def describe_comms(d: Mapping[str, Any], actor: str) -> Described:
        what = _brief(d.get("template"), 60).replace("_", " ") or "message"
        if d.get("number") is not None:
            what += f" #{_brief(d.get('number'))}"
        channel = _brief(d.get("channel"), 60)
        if sent:
            head = f"{what} sent" + (f" to {channel}" if channel else "")
            return C.COMMS, S.OK, V.OK, _colon(head, _brief(d.get("text")))
        head = f"{what} drafted" + (f" for {channel}" if channel else "")
        return C.COMMS, S.OPEN, V.INFO, _colon(head, _brief(d.get("text")))

    return describe_comms


DESCRIBERS: dict[str, Callable[[Mapping[str, Any], str], Described]] = {
    "incident.opened": _incident_opened,
    "assessment.recorded": _assessment,
    "decision.recorded": _decision,
    "target.resolved": _target,
    "baseline.captured": _baseline,
    "baselines.frozen": _baselines_frozen,
    "cluster.connected": _cluster,
    "rbac.checked": _rbac,
    "check.recorded": _check,
    "step.started": _step_started,
    "step.finished": _step_finished,
    "confirmation.answered": _confirmation,
    "stop.requested": _stop,
    "run.interrupted": _interrupted,
    "session.resumed": _resumed,
    "note.added": _note,
    "warning.raised": _warning,
    "incident.resolved": _resolved,
    "journal.torn_tail_quarantined": _torn_tail,
    "comms.drafted": _comms(sent=False),
    "comms.sent": _comms(sent=True),
    "drill.started": _drill_started,
    "drill.twist": _drill_twist,
    "drill.record": _drill_record,
}


def _generic(kind: str, d: Mapping[str, Any]) -> Described:
    """An event type this code does not know (written by a newer version): shown as data."""
    prefix = kind.split(".", 1)[0]
    known = {c.value for c in EventCategory}
    category = EventCategory(prefix) if prefix in known else EventCategory.JOURNAL
    return category, S.INFO, V.INFO, _colon(plain(kind, 60) or "event", _brief(d))


def describe(event: JournalEvent) -> TimelineEntry:
    """Turn one journal event into a plain, single-line, sanitised timeline entry."""
    kind = event.type if isinstance(event.type, str) else _brief(event.type)
    data = event.data if isinstance(event.data, Mapping) else {"value": event.data}
    actor = plain(str(event.actor), ACTOR_LIMIT) or "?"
    describer = DESCRIBERS.get(kind)
    try:
        described = describer(data, actor) if describer else _generic(kind, data)
    except (TypeError, ValueError, AttributeError):  # a known type with odd data: still shown
        described = _generic(kind, data)
    category, symbol, severity, text = described
    ts = plain(str(event.ts), 40)
    return TimelineEntry(event.seq, ts, _time_text(ts), actor, category, symbol,
                         clip(text, TEXT_LIMIT), severity)
