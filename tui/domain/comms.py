"""Communications during a rollback: the seed's templates — the rollback announcement (§4.1),
status update #N (§5.1), the status page's initial, progress and resolution posts (§5.2) and
the stakeholder notification (§5.3) — filled from the incident's state.

Pure: this module gathers what a message says; the words around it live in Jinja2 templates
(`tui/templates/comms/`, overridable by the user) that a renderer passed in applies. Every
value taken from the journal, the parameters or the runbook is made literal plain text first
(no escapes, no control characters, one line): messages are pasted into chat and status pages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tui.domain.checklist import derive_status
from tui.domain.comms_cadence import (
    Cadence,
    at_text,
    cadence,
    duration_in_words,
    epoch,
    next_update_number,
    seconds_of,
    spoken_duration,
    update_every,
)
from tui.domain.comms_catalog import (
    ANNOUNCEMENT,
    STAKEHOLDER,
    STATUS_PAGE_INITIAL,
    STATUS_PAGE_PROGRESS,
    STATUS_PAGE_RESOLUTION,
    STATUS_UPDATE,
    TEMPLATE_IDS,
    TEMPLATES,
    Template,
    UnknownTemplate,
    template,
)
from tui.domain.drill_timing import ScenarioClock, incident_clock
from tui.domain.incident import IncidentState
from tui.domain.runbook import Runbook, render_args
from tui.domain.safe_text import plain
from tui.domain.status import CheckStatus, IncidentStatus, StepStatus

VALUE_LIMIT = 1000  # characters of one value in a message
Renderer = Callable[[str, Mapping[str, Any]], str]
"""Applies the template called by its id to the values gathered here; returns the text."""

# The catalog and the cadence are part of this module's interface.
__all__ = ["ANNOUNCEMENT", "STAKEHOLDER", "STATUS_PAGE_INITIAL", "STATUS_PAGE_PROGRESS",
           "STATUS_PAGE_RESOLUTION", "STATUS_UPDATE", "TEMPLATES", "TEMPLATE_IDS", "Cadence",
           "Draft", "Template", "UnknownTemplate", "cadence", "channels", "context",
           "default_channel", "fill", "literal", "next_update_number", "template",
           "update_every"]


@dataclass(frozen=True)
class Draft:
    """A filled message: what to call it, its subject, its text, its number (status updates
    only) and the channel it usually goes to."""

    template: str
    title: str
    subject: str
    text: str
    number: int | None = None
    channel: str = ""


def literal(value: object, limit: int = VALUE_LIMIT) -> str:
    """A value as plain text on one line: escapes and controls removed, nothing interpreted."""
    return plain("" if value is None else str(value), limit)


def known_release(runbook: Runbook, values: Mapping[str, str], state: IncidentState) -> str:
    """The release being rolled back: the `release` parameter as given; left at its default
    (such as "the current release", which reads badly after "release"), the versions the
    frozen targets replace; "" while neither is known."""
    given = str(values.get("release") or "")
    parameter = runbook.parameter("release")
    if given and (parameter is None or given != str(parameter.default)):
        return given
    return ", ".join(dict.fromkeys(str(t["live_version"]) for t in state.targets.values()
                                   if t.get("live_version")))


def channels(runbook: Runbook) -> list[str]:
    """The runbook's communication channels (plain text)."""
    raw = runbook.communication.get("channels") or ()
    return [literal(c, 120) for c in raw if literal(c, 120)]


def default_channel(template_id: str, runbook: Runbook) -> str:
    """Where a message usually goes: the status page, the stakeholders' email, the team chat."""
    known = channels(runbook)
    audience = template(template_id).audience

    def first(*words: str) -> str | None:
        return next((c for c in known if any(w in c.lower() for w in words)), None)

    if audience == "status page":
        return first("status page", "statuspage") or "Status page"
    if audience == "stakeholders":
        return first("email", "stakeholder") or (known[0] if known else "Stakeholder email")
    chat = [c for c in known if c not in (first("status page", "statuspage"),
                                          first("email", "stakeholder"))]
    return chat[0] if chat else "team chat"


# ---- what the messages say -------------------------------------------------------------------

@dataclass(frozen=True)
class _Facts:
    """The incident as the messages need it."""

    state: IncidentState
    runbook: Runbook
    values: Mapping[str, str]
    now: datetime

    @property
    def decision(self) -> Mapping[str, Any]:
        return self.state.decision or {}

    @property
    def pace(self) -> ScenarioClock:
        """The incident's clock (a drill's estimates pass at its speed)."""
        return incident_clock(self.state)

    @property
    def inputs(self) -> Mapping[str, Any]:
        return (self.state.assessment or {}).get("inputs") or {}

    def service(self) -> str:
        for value in (self.values.get("service"), self.values.get("deployment"),
                      self.state.title, self.runbook.title):
            if literal(value):
                return literal(value, 120)
        return "[service]"

    def release(self) -> str:
        return literal(known_release(self.runbook, self.values, self.state), 120) or "[release]"

    def reason(self) -> str:
        for value in (self.decision.get("rationale"), self.inputs.get("description"),
                      self.decision.get("issue")):
            if literal(value):
                return literal(value)
        return "[brief reason]"

    def issue(self) -> str:
        given = self.decision.get("issue")
        if given == self.runbook.title:  # the decision's default: the description says more
            given = None
        for value in (given, self.inputs.get("description"), self.decision.get("issue"),
                      self.state.title):
            if literal(value):
                return literal(value)
        return "[brief description]"

    def impact(self) -> str:
        impact = literal(self.decision.get("impact"))
        if impact and impact != "not assessed in the tool":
            return impact
        return self.users_affected() or "[user impact, severity]"

    def users_affected(self) -> str:
        pct, severity = self.inputs.get("users_affected_pct"), literal(self.inputs.get(
            "severity"), 10)
        if not isinstance(pct, int | float):
            return ""
        return f"{pct:g}% of users affected" + (f" ({severity})" if severity else "")

    def lead(self) -> str:
        for value in (self.decision.get("team_lead"), self.values.get("lead"),
                      self.state.opened_by):
            if literal(value):
                return literal(value, 120)
        return "[name]"

    def eta(self) -> float | None:
        """Epoch of the expected resolution: the decision's time plus its estimate."""
        decided = epoch(self.decision.get("decided_at"))
        seconds = duration_in_words(str(self.decision.get("expected_resolution") or ""))
        if decided is None or seconds is None:
            return None
        return self.pace.wall_after(decided, seconds)

    def eta_text(self) -> str:
        eta = self.eta()
        if eta is not None:
            return at_text(eta, self.now)
        return literal(self.decision.get("expected_resolution"), 120) or "[time]"

    def within(self) -> str:
        """How long until service is restored: to the ETA, else the steps left, else as
        decided (words), else a placeholder."""
        eta, now = self.eta(), self.now.timestamp()
        if eta is not None and eta > now:
            return spoken_duration(self.pace.between(now, eta) or 0.0)
        left = sum(seconds_of(s.duration) for s in self.runbook.steps
                   if not self.state.step_status(s.id).done)
        if left > 0 and self.state.decided:
            return spoken_duration(left)
        text = literal(self.decision.get("expected_resolution"), 120)
        return text or (spoken_duration(update_every(self.runbook)) if self.state.decided
                        else "[time]")

    def action(self) -> str:
        targets = [f"Rollback to version {literal(t.get('version'), 60) or '?'} ("
                   f"{literal(t.get('deployment'), 60)} revision {literal(t.get('revision'), 20)})"
                   for t in self.state.targets.values()]
        if targets:
            return "; ".join(targets)
        expected = literal(self.values.get("expected_version"), 60)
        return f"Rollback to version {expected}" if expected else literal(self.runbook.title)

    def step_title(self, index: int) -> str:
        step = self.runbook.steps[index]
        known = self.state.steps.get(step.id)
        if known is not None and known.title:
            return literal(known.title, 200)
        try:
            return literal(render_args(step.title, self.values), 200)
        except ValueError:
            return literal(step.title, 200)


def progress(facts: _Facts) -> list[str]:
    """The seed's progress list: `[X] Step 1: …` per runbook step, then verification and
    sign-off; a step's state other than done or open is said after it."""
    state, now = facts.state, facts.now
    lines = []
    for index, step in enumerate(facts.runbook.steps):
        known = state.steps.get(step.id)
        status = state.step_status(step.id)
        mark = "X" if status.done else " "
        note = ""
        if status is StepStatus.SKIPPED:
            note = " (skipped" + (f": {literal(known.reason, 200)})" if known and known.reason
                                  else ")")
        elif status is StepStatus.RUNNING and known and epoch(known.started_at) is not None:
            note = f" (running since {at_text(epoch(known.started_at) or 0.0, now)})"
        elif status in (StepStatus.FAILED, StepStatus.INTERRUPTED, StepStatus.RUNNING):
            note = f" ({status.value})"
        lines.append(f"[{mark}] Step {index + 1}: {facts.step_title(index)}{note}")
    summary = derive_status(facts.runbook, state)
    items = facts.runbook.checklist_items()
    if items:
        failed = len(summary.failed_items)
        done = not summary.open_items and not failed
        lines.append(f"[{'X' if done else ' '}] Verification checklist ("
                     f"{summary.passed_items} of {len(items)} items passed"
                     + (f", {failed} failed)" if failed else ")"))
    if state.status is IncidentStatus.RESOLVED:
        verified = literal(state.verified_by, 120)
        lines.append(f"[X] Final sign-off ({literal(state.rollback_status or state.outcome, 20)}"
                     + (f", verified by {verified})" if verified else ")"))
    else:
        lines.append("[ ] Final sign-off")
    return lines


def blockers(facts: _Facts, extra: Sequence[str] = ()) -> list[str]:
    """Failed or interrupted steps, failed checks, a stop, and what the caller knows (stale
    feeds)."""
    found = []
    for index, step in enumerate(facts.runbook.steps):
        known = facts.state.steps.get(step.id)
        if known is None:
            continue
        detail = literal(known.detail, 300)
        if known.status is StepStatus.FAILED:
            found.append(f"Step {index + 1} ({facts.step_title(index)}) failed"
                         + (f": {detail}" if detail else ""))
        elif known.status is StepStatus.INTERRUPTED:
            found.append(f"Step {index + 1} ({facts.step_title(index)}) was interrupted; it is "
                         "checked before it runs again")
    for item in facts.runbook.checklist_items():
        if facts.state.check_status(item.id) is CheckStatus.FAIL:
            note = literal(facts.state.check_notes.get(item.id), 300)
            found.append(f"Check failed: {literal(item.item, 200)}" + (f" ({note})" if note
                                                                       else ""))
    if facts.state.stop_requested:
        found.append("The run was stopped at a safe point; it continues when resumed")
    return found + [literal(e, 300) for e in extra if literal(e)]


def status_word(facts: _Facts) -> str:
    """The seed's Status: In Progress, Completed or Issues."""
    summary = derive_status(facts.runbook, facts.state)
    if summary.failed_steps or summary.failed_items:
        return "Issues"
    return "Completed" if facts.state.status is IncidentStatus.RESOLVED else "In Progress"


def activity(facts: _Facts) -> str:
    """What is happening now: the running or next step, the checks, or where the incident is."""
    state, runbook = facts.state, facts.runbook
    if state.status is IncidentStatus.RESOLVED:
        return (f"Incident closed ({literal(state.rollback_status or state.outcome, 20)})"
                + (f", verified by {literal(state.verified_by, 120)}" if state.verified_by
                   else ""))
    if not state.decided:
        return ("Assessing impact and scope" if state.assessment is None
                else "Deciding: rollback or fix forward")
    if str(facts.decision.get("decision")) != "ROLLBACK":
        return f"Decision: {literal(facts.decision.get('decision'), 40)} — {facts.reason()}"
    indexes = {s.id: n for n, s in enumerate(runbook.steps)}
    running = state.running_step
    if running is not None and running.step_id in indexes:
        n = indexes[running.step_id]
        return f"Step {n + 1}: {facts.step_title(n)} (running)"
    pending = next((n for n, s in enumerate(runbook.steps)
                    if not state.step_status(s.id).done), None)
    if pending is not None:
        status = state.step_status(runbook.steps[pending].id)
        title = facts.step_title(pending)
        if status in (StepStatus.FAILED, StepStatus.INTERRUPTED):
            return f"Step {pending + 1}: {title} {status.value}; deciding how to continue"
        return f"Next: step {pending + 1}: {title}"
    open_items = len(derive_status(runbook, state).open_items)
    return (f"Post-rollback verification: {open_items} checklist item(s) open" if open_items
            else "Final sign-off")


def _customer_impact(facts: _Facts) -> list[str]:
    users = facts.users_affected() or literal(facts.decision.get("impact"))
    scope = literal(facts.inputs.get("scope"), 300)
    trend = literal(facts.inputs.get("trend"), 30)
    lines = [users or "[description of user-facing impact]"]
    lines.append(f"Affected: {scope}" if scope else f"Affected features: {facts.service()}")
    if trend and trend != "unknown":
        lines.append(f"Trend at assessment: {trend}")
    return lines


def _next_steps(facts: _Facts) -> list[str]:
    metrics = [literal(m.name, 80) for m in facts.runbook.metrics]
    frozen = epoch(facts.state.baselines_frozen_at)
    against = (f"the baseline frozen at {at_text(frozen, facts.now)}" if frozen is not None
               else "the pre-release baseline")
    monitoring = (f"Monitoring: {', '.join(metrics)} against {against}" if metrics
                  else "Monitoring: health checks and error rates after the rollback")
    actions = [literal(a.get("text"), 200) for a in facts.state.postmortem.get(
        "action_items") or () if isinstance(a, Mapping) and not a.get("done")]
    fix = ("Fix plan: " + "; ".join(actions[:3]) if actions
           else f"Fix plan: find the root cause of {facts.release()} and fix it")
    release = ("Re-release: once the re-release criteria are met (root cause fixed, new tests "
               "passing, tested in staging)")
    return [monitoring, fix, release]


def context(template_id: str, state: IncidentState, runbook: Runbook,
            values: Mapping[str, str], now: datetime, extra_blockers: Sequence[str] = ()
            ) -> dict[str, Any]:
    """Everything a template may use, as plain text (lists of lines for lists)."""
    info = template(template_id)
    facts = _Facts(state, runbook, values, now)
    clock = cadence(state, runbook)
    service, release = facts.service(), facts.release()
    number = clock.number if info.id == STATUS_UPDATE else None
    now_text = at_text(now.timestamp(), now)
    drill = "[DRILL] " if state.drill else ""
    subjects = {
        STATUS_UPDATE: f"Rollback Status Update #{number} - {now_text}",
        ANNOUNCEMENT: f"ROLLBACK INITIATED for release {release}",
        STATUS_PAGE_INITIAL: f"Investigating: issues with {service}",
        STATUS_PAGE_PROGRESS: f"Update: issues with {service}",
        STATUS_PAGE_RESOLUTION: f"Resolved: issues with {service}",
        STAKEHOLDER: f"[INCIDENT] Production Rollback - {service}",
    }
    word = status_word(facts)
    resolved = state.status is IncidentStatus.RESOLVED
    return {
        "template": info.id, "drill": state.drill, "incident": literal(state.incident_id, 120),
        "title": f"{info.name} #{number}" if number else info.name,
        "subject": drill + subjects[info.id], "service": service, "release": release,
        "reason": facts.reason(), "issue": facts.issue(), "impact": facts.impact(),
        "lead": facts.lead(), "role": "Incident lead", "every": spoken_duration(clock.every),
        "eta": facts.eta_text(), "within": facts.within(), "now": now_text, "number": number,
        "status": word, "progress": progress(facts), "activity": activity(facts),
        "blockers": blockers(facts, extra_blockers),
        "next_update": at_text(clock.pace.wall_after(now.timestamp(), clock.every), now),
        "channel": default_channel(STATUS_UPDATE, runbook),
        "stakeholder_status": ("Completed" if resolved else "In progress")
        + (" (with issues)" if word == "Issues" else ""),
        "action": facts.action(), "customer_impact": _customer_impact(facts),
        "next_steps": _next_steps(facts),
    }


def fill(template_id: str, state: IncidentState, runbook: Runbook, values: Mapping[str, str],
         now: datetime, *, render: Renderer, extra_blockers: Sequence[str] = ()) -> Draft:
    """The message `template_id` filled from the incident as it stands at `now`."""
    data = context(template_id, state, runbook, values, now, extra_blockers)
    text = "\n".join(line.rstrip() for line in render(template_id, data).strip("\n").split("\n"))
    return Draft(template_id, data["title"], data["subject"], text, data["number"],
                 default_channel(template_id, runbook))
