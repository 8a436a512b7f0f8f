"""The incident report (the seed's §6.1 template with the post-incident record of §7 to 9) and
the decision record (§3.3), as plain data built from the journal alone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from tui.domain.assessment import (
    CRITERIA_BY_ID,
    SOURCES_BY_ID,
    Decision,
    DecisionRecord,
    format_duration,
)
from tui.domain.checklist import derive_status
from tui.domain.exports import (
    JournalHead,
    clean,
    clock_text,
    header,
    parse_time,
    timeline_rows,
    utc_text,
)
from tui.domain.incident import IncidentState, JournalEvent
from tui.domain.markdown_text import md_inline
from tui.domain.metrics import format_value
from tui.domain.postmortem import (
    FISHBONE_CATEGORIES,
    LIST_SECTIONS,
    RE_RELEASE_CRITERIA,
    TEXT_SECTIONS,
    deadlines,
)
from tui.domain.runbook import Runbook
from tui.domain.status import CheckStatus, StepStatus

NOT_WRITTEN = "(not written yet)"
# The report's timeline: the milestones and every step's outcome, not each tick and probe.
MILESTONES = frozenset({
    "incident.opened", "assessment.recorded", "decision.recorded", "target.resolved",
    "baselines.frozen", "step.finished", "stop.requested", "run.interrupted", "session.resumed",
    "comms.sent", "warning.raised", "note.added", "incident.resolved"})
MEETING_WARNING, MEETING_LIMIT = 15 * 60, 30 * 60


def detected_at(state: IncidentState) -> datetime | None:
    """When the issue was detected: the decision's record, else the assessment's "persisted for"
    before the incident was opened, else the opening."""
    decided = parse_time((state.decision or {}).get("detected_at"))
    if decided is not None:
        return decided
    opened = parse_time(state.opened_at)
    minutes = ((state.assessment or {}).get("inputs") or {}).get("duration_minutes")
    if opened is not None and isinstance(minutes, int | float) and minutes >= 0:
        return opened - timedelta(minutes=float(minutes))
    return opened


def _span(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None or end < start:
        return ""
    return format_duration(end - start)


def _decision_event(events: Sequence[JournalEvent]) -> JournalEvent | None:
    return next((e for e in reversed(events) if e.type == "decision.recorded"), None)


# ---- decision record -------------------------------------------------------------------------
def _meeting(decision: Mapping[str, Any]) -> dict[str, Any] | None:
    seconds = decision.get("meeting_seconds")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
        return None
    whole = int(seconds)
    judged = ("over the seed's 30-minute maximum" if whole > MEETING_LIMIT else
              "over the seed's 15 minutes" if whole > MEETING_WARNING else
              "within the seed's 15 minutes")
    return {"seconds": seconds, "text": f"{whole // 60}:{whole % 60:02d}", "judged": judged,
            "started_at": decision.get("meeting_started_at") or "",
            "ended_at": decision.get("meeting_ended_at") or ""}


def _record(state: IncidentState, event: JournalEvent | None) -> dict[str, Any]:
    decision = state.decision or {}
    detected = detected_at(state)
    decided = parse_time(decision.get("decided_at")) or parse_time(event.ts if event else None)
    if detected is not None and decided is not None and decided < detected:
        detected = decided
    engineers = decision.get("engineers")
    return {
        "issue": str(decision.get("issue") or state.title), "impact": str(
            decision.get("impact") or ""),
        "detected_at": detected.isoformat() if detected else "",
        "decided_at": decided.isoformat() if decided else "",
        "decision": str(decision.get("decision") or ""),
        "rationale": str(decision.get("rationale") or ""),
        "expected_resolution": str(decision.get("expected_resolution") or ""),
        "authorized_by": str(decision.get("authorized_by") or (event.actor if event else "")),
        "team_lead": str(decision.get("team_lead") or ""),
        "engineers": [str(e) for e in engineers] if isinstance(engineers, list) else [],
        "support": str(decision.get("support") or ""),
        "time_lost": str(decision.get("time_lost") or _span(detected, decided)),
        "strategy": str(decision.get("strategy") or ""), "taken": str(decision.get("taken") or ""),
    }


def decision_markdown(record: Mapping[str, Any]) -> str:
    """The seed's Decision Template filled in (DecisionRecord.to_markdown), every value made
    literal Markdown; empty when the record cannot be one (no decision, unknown choice)."""
    try:
        built = DecisionRecord(
            issue=md_inline(record["issue"]), impact=md_inline(record["impact"] or "—"),
            detected_at=datetime.fromisoformat(record["detected_at"]),
            decided_at=datetime.fromisoformat(record["decided_at"]),
            decision=Decision(record["decision"]), rationale=md_inline(record["rationale"]),
            expected_resolution=md_inline(record["expected_resolution"] or "—"),
            authorized_by=md_inline(record["authorized_by"]),
            team_lead=md_inline(record["team_lead"]),
            engineers=tuple(md_inline(e) for e in record["engineers"]),
            support=md_inline(record["support"]))
        return built.to_markdown()
    except (KeyError, TypeError, ValueError):
        return ""


def _assessment(state: IncidentState) -> dict[str, Any] | None:
    recorded = state.assessment
    if not recorded:
        return None
    inputs = recorded.get("inputs") or {}
    rec = recorded.get("recommendation") or {}
    votes = recorded.get("votes") or rec.get("votes") or []
    score, pct = recorded.get("impact_score"), inputs.get("users_affected_pct")
    return {
        "impact_score": score, "severity": inputs.get("severity") or "",
        "impact_score_text": f"{score:g}" if isinstance(score, int | float) else "not scored",
        "users_affected_pct": pct,
        "users_affected_text": f"{pct:g} %" if isinstance(pct, int | float) else "unknown",
        "trend": inputs.get("trend") or "", "description": inputs.get("description") or "",
        "criteria": [CRITERIA_BY_ID[c].label for c in inputs.get("criteria") or []
                     if c in CRITERIA_BY_ID],
        "votes": [{"factor": str(v.get("factor", "")), "value": str(v.get("value", "")),
                   "vote": str(v.get("vote", "")).replace("_", " ")}
                  for v in votes if isinstance(v, Mapping)],
        "recommendation": str(rec.get("decision") or ""), "urgency": str(rec.get("urgency") or ""),
        "reasons": [str(r) for r in rec.get("reasons") or []],
        "warnings": [str(w) for w in rec.get("warnings") or []],
        "revisions": state.assessments, "assessed_at": state.first_assessed_at or ""}


def _targets(state: IncidentState) -> list[dict[str, Any]]:
    keys = ("namespace", "deployment", "revision", "version", "replicaset", "live_revision",
            "live_version", "chosen_by", "reason")
    return [{key: target.get(key) for key in keys} | {"images": list(target.get("images") or [])}
            for target in state.targets.values()]


def decision_document(state: IncidentState, events: Sequence[JournalEvent],
                      runbook: Runbook | None, head: JournalHead, generated_at: datetime
                      ) -> dict[str, Any]:
    """The decision record with the time lost, the meeting, the assessment and the target."""
    event = _decision_event(events)
    record = _record(state, event) if state.decision else None
    units = {m.name: m.unit for m in runbook.metrics} if runbook else {}
    baselines = [{"metric": name, "mean": b.get("mean"), "samples": b.get("samples"),
                  "mean_text": format_value(b["mean"], units.get(name, "")) if isinstance(
                      b.get("mean"), int | float) else ""}
                 for name, b in state.baselines.items()]
    return clean({
        **header("decision", state, head, generated_at), "decided": record is not None,
        "record": record, "record_text": {
            "detected_at": utc_text(record["detected_at"]) if record else "",
            "decided_at": utc_text(record["decided_at"]) if record else ""},
        "meeting": _meeting(state.decision or {}), "assessment": _assessment(state),
        "targets": _targets(state), "baselines": baselines,
        "baselines_frozen_at": state.baselines_frozen_at or "",
        "baselines_frozen_at_text": utc_text(state.baselines_frozen_at)})


# ---- incident report -------------------------------------------------------------------------
def paragraphs(value: Any) -> list[str]:
    """Written text as its non-empty lines."""
    return [line.strip() for line in str(value or "").splitlines() if line.strip()]


def _services(state: IncidentState) -> list[str]:
    if state.targets:
        return [f"{t.get('deployment')} ({t.get('namespace')})" for t in state.targets.values()]
    named = [str(state.params[k]) for k in ("service", "deployment") if state.params.get(k)]
    return list(dict.fromkeys(named))


def _release(state: IncidentState) -> str:
    live = next((t.get("live_version") for t in state.targets.values() if t.get("live_version")),
                None)
    return str(live or state.params.get("release") or "")


def _summary(state: IncidentState, now: datetime) -> dict[str, Any]:
    detected, resolved = detected_at(state), parse_time(state.resolved_at)
    duration = _span(detected, resolved)
    if resolved is None and detected is not None:
        duration = f"ongoing, {_span(detected, now) or '0s'} at export"
    pct = ((state.assessment or {}).get("inputs") or {}).get("users_affected_pct")
    return {"date": detected.strftime("%Y-%m-%d") if detected else "",
            "detected_at": utc_text(detected), "resolved_at": utc_text(resolved),
            "duration": duration, "severity": state.severity or "not assessed",
            "services": _services(state),
            "users_impacted": f"{pct:g} % of users (assessment)" if isinstance(
                pct, int | float) else "not assessed"}


def _facts(state: IncidentState, events: Sequence[JournalEvent], runbook: Runbook | None
           ) -> dict[str, list[str]]:
    inputs = (state.assessment or {}).get("inputs") or {}
    sources = [SOURCES_BY_ID[s].label for s in inputs.get("detection_sources") or []
               if s in SOURCES_BY_ID]
    detection = [f"Detected at {utc_text(detected_at(state)) or 'an unknown time'}"]
    if sources:
        detection.append("Sources: " + ", ".join(sources))
    if inputs.get("trend"):
        detection.append(f"Trend when assessed: {inputs['trend']}")
    actors = list(dict.fromkeys(e.actor for e in events if e.actor))
    decision = state.decision or {}
    response = [f"Responders (journal): {', '.join(actors)}"] if actors else []
    if decision:
        response.append(f"Decision {decision.get('decision', '?')} authorized by "
                        f"{decision.get('authorized_by') or '?'}"
                        + (f", time lost {decision['time_lost']}" if decision.get("time_lost")
                           else ""))
    counts = {s: sum(st.status is s for st in state.steps.values()) for s in StepStatus}
    response.append("Steps: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n) if any(
        counts.values()) else "Steps: none run")
    if state.comms:
        response.append(f"Communications sent: {len(state.comms)}")
    status = str(derive_status(runbook, state).status) if runbook else str(
        state.rollback_status or "")
    marks = state.check_states.values()
    passed = sum(m.status is CheckStatus.PASS for m in marks)
    total = len(runbook.checklist_items()) if runbook else len(state.check_states)
    restored = _span(detected_at(state), parse_time(state.resolved_at)) or "not restored yet"
    resolution = [f"Rollback status: {status or 'not derived'}",
                  f"Service restoration time: {restored}",
                  (f"Verification completed: {'yes' if state.verified_by else 'no'} "
                   f"({passed} of {total} checklist items passed)")]
    return {"detection": detection, "response": response, "resolution": resolution}


def _written(postmortem: Mapping[str, Any]) -> dict[str, Any]:
    text = {key: {"prompt": prompt, "paragraphs": paragraphs(postmortem.get(key))}
            for key, prompt in TEXT_SECTIONS.items()}
    lists = {key: [str(v) for v in postmortem.get(key) or [] if str(v).strip()]
             for key in LIST_SECTIONS}
    fishbone = postmortem.get("fishbone") if isinstance(postmortem.get("fishbone"), Mapping) \
        else {}
    ticked = postmortem.get("re_release") if isinstance(postmortem.get("re_release"), Mapping) \
        else {}
    actions = [a for a in postmortem.get("action_items") or [] if isinstance(a, Mapping)]
    return {
        "text": text, **lists,
        "fishbone": [{"key": key, "title": key.capitalize(), "hint": hint,
                      "causes": [str(c) for c in fishbone.get(key) or []]}
                     for key, hint in FISHBONE_CATEGORIES.items()],
        "re_release": [{"id": key, "text": label, "done": bool(ticked.get(key))}
                       for key, label in RE_RELEASE_CRITERIA],
        "action_items": [{"text": str(a.get("text", "")), "owner": str(a.get("owner", "")),
                          "due": str(a.get("due", "")), "done": bool(a.get("done"))}
                         for a in actions],
        "status": str(postmortem.get("status") or "draft")}


def report_document(state: IncidentState, events: Sequence[JournalEvent],
                    runbook: Runbook | None, head: JournalHead, generated_at: datetime
                    ) -> dict[str, Any]:
    """The seed's incident report: summary, timeline, the written sections, five whys,
    fishbone, lessons, action items, prevention and the re-release criteria."""
    day = (detected_at(state) or generated_at).strftime("%Y-%m-%d")
    milestones = [e for e in events if e.type in MILESTONES]
    written = _written(state.postmortem)
    report_ticked = state.check_status("incident_report") is CheckStatus.PASS
    due = [{"what": d.what, "state": str(d.state), "due_at": utc_text(d.due_at),
            "text": d.text(generated_at)}
           for d in deadlines(state.resolved_at, state.postmortem, report_ticked,
                              now=generated_at)]
    release = _release(state)
    return clean({
        **header("report", state, head, generated_at),
        "heading": f"Incident Report: Release {release} Rollback" if release else
        f"Incident Report: {state.title or state.incident_id}",
        "summary": _summary(state, generated_at),
        "timeline": timeline_rows(milestones, day), "facts": _facts(state, events, runbook),
        "written": written, "not_written": NOT_WRITTEN, "deadlines": due,
        "clock_day": day, "resolved_clock": clock_text(state.resolved_at, day)})
