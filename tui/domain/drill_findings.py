"""The seed's anti-patterns found in a drill (each with its evidence), the moments that cost
time, and what to practise next."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from tui.domain import incident as ev
from tui.domain.comms_cadence import status_updates
from tui.domain.drill_facts import ROLLBACK, DrillFacts, change_line
from tui.domain.drill_scorecard import AntiPattern, Evidence, Measure, Moment
from tui.domain.drill_timing import clock_text, duration_text, epoch, iso
from tui.domain.status import CheckStatus, StepStatus
from tui.domain.strategies import MEETING_TARGET

PENALTIES = {"hesitate": 10, "skip-communication": 10, "improvise": 15,
             "incomplete-rollback": 15, "no-verification": 15}
SEED = {  # the seed's Rollback Anti-Patterns, in its words
    "hesitate": ("Hesitate Too Long", "Hoping the issue will resolve"),
    "skip-communication": ("Skip Communication", "Not informing stakeholders"),
    "improvise": ("Improvise", "Deviating from documented procedures"),
    "incomplete-rollback": ("Incomplete Rollback", "Leaving some components in new version"),
    "no-verification": ("No Verification", "Assuming rollback worked without checking"),
}
PRACTISE = {
    "hesitate": "Decide within 15 minutes of detection: run the decision meeting against its "
                "timer and let the decision matrix carry the call (seed 3.3).",
    "skip-communication": "Send a status update as soon as the decision is made and every "
                          "15 minutes after it, even when nothing changed (seed 5.1).",
    "improvise": "Make every change through the runbook's steps; when a step is missing, note "
                 "it and add it to the runbook afterwards instead of typing kubectl.",
    "incomplete-rollback": "Before closing, check every component runs the target version "
                           "(rollout history, the version endpoint) and leave the symptom "
                           "services alone.",
    "no-verification": "Run the verification checks and work through the checklist before "
                       "resolving (seed: Post-Rollback Verification).",
    "time-to-decision": "Practise the severity assessment and the impact score until the "
                        "recommendation takes minutes, not a meeting.",
    "time-to-restore": "Rehearse the strategy's steps so the restore fits the seed's time.",
    "decision": "Work the decision matrix on this scenario again: which factors point to the "
                "right call?",
    "strategy": "Match the strategy to the deployment (seed 1.3: revert, blue-green, flag, "
                "database, full system).",
    "target": "Pick the rollback target from the revision history with its diff, and check "
              "its version before freezing it.",
    "steps-skipped": "Give every skipped step a reason, and run the ones that have none.",
    "verification": "Tick each checklist item only once checked, and run the automatic checks.",
    "status-updates": "Keep the status-update cadence; the context bar shows when one is due.",
}
# A measure whose anti-pattern was found already says what to practise through it.
COVERED_BY = {"time-to-decision": "hesitate", "status-updates": "skip-communication",
              "verification": "no-verification"}
GAP = 180.0  # scenario seconds without a journaled event that count as a moment lost
MAX_EVIDENCE = 25


def _anti(kind: str, evidence: list[Evidence]) -> AntiPattern:
    title, gloss = SEED[kind]
    if len(evidence) > MAX_EVIDENCE:
        more = len(evidence) - MAX_EVIDENCE
        evidence = [*evidence[:MAX_EVIDENCE], Evidence(f"… and {more} more like these")]
    return AntiPattern(kind, title, gloss, PENALTIES[kind], tuple(evidence))


def hesitate(f: DrillFacts) -> list[Evidence]:
    """Later than 15 minutes to a decision the truth or the assessment said was a rollback."""
    found: list[Evidence] = []
    end = f.decided_at or f.end_or_now()
    waited = f.scenario_seconds(f.detected_at, end)
    if f.truth_decision == ROLLBACK and waited is not None and waited > MEETING_TARGET:
        what = "decided" if f.decided_at else "still no decision at"
        found.append(Evidence(f"detected {clock_text(f.detected_at)}, {what} {clock_text(end)}: "
                              f"{duration_text(waited)} of scenario time, the seed allows 15m "
                              "and the truth is ROLLBACK", iso(end)))
    advised = next((epoch(e.ts) for e in f.events if e.type == ev.ASSESSMENT_RECORDED and
                    (e.data.get("recommendation") or {}).get("decision") == ROLLBACK), None)
    after = f.scenario_seconds(advised, end)
    if after is not None and after > MEETING_TARGET and f.decision_value in (None, ROLLBACK):
        found.append(Evidence(f"the assessment recommended ROLLBACK at {clock_text(advised)}; "
                              f"the decision came {duration_text(after)} later"
                              if f.decided_at else
                              f"the assessment recommended ROLLBACK at {clock_text(advised)}; "
                              f"no decision {duration_text(after)} later", iso(end)))
    return found


def skip_communication(f: DrillFacts, cadence: tuple[float, list[Any], float | None]
                       ) -> list[Evidence]:
    """No status update at all, or one overdue by more than a cadence."""
    every, gaps, start = cadence
    if not status_updates(f.state):
        overdue = any(g[2] > every for g in gaps)
        if not (f.resolved or overdue):
            return []
        since = "the decision" if f.decided_at else "the opening"
        until = "the resolution" if f.resolved else "now"
        length = f.scenario_seconds(start, f.end_or_now())
        return [Evidence(f"no status update sent from {since} ({clock_text(start)}) to {until} "
                         f"({clock_text(f.end_or_now())}), {duration_text(length)}",
                         iso(f.end_or_now()))]
    return [Evidence(f"{duration_text(g[2])} without a status update from {clock_text(g[0])} "
                     f"to {clock_text(g[1])} (cadence {duration_text(every)})", iso(g[1]))
            for g in gaps if g[2] > 2 * every]


def improvise(f: DrillFacts) -> list[Evidence]:
    """Changes the drill served that no runbook step accounts for."""
    return [Evidence(change_line(c), c.get("at"), "cluster")
            for c in f.effective_changes() if not f.attributed(c)]


def incomplete_rollback(f: DrillFacts) -> list[Evidence]:
    """The truth's targets not running at the end, or an `untouched` deployment changed."""
    record = f.record
    if record is None or f.truth is None:
        return []
    found: list[Evidence] = []
    final = record.get("deployments") or {}
    for want in f.truth.get("targets") or []:
        key = f"{want.get('namespace')}/{want.get('deployment')}"
        got = final.get(key)
        if got is None:
            found.append(Evidence(f"{key} does not exist at the end", record.get("fetched_at"),
                                  "cluster"))
            continue
        wrong = (want.get("version") not in (None, got.get("version")) if want.get("version")
                 else want.get("revision") not in (None, got.get("revision")))
        if wrong:
            found.append(Evidence(f"{key} runs {got.get('version')} (rev {got.get('revision')}) "
                                  f"at the end; the truth wants {want.get('version') or '?'} "
                                  f"(rev {want.get('revision')})", record.get("fetched_at"),
                                  "cluster"))
        elif got.get("paused"):
            found.append(Evidence(f"{key} is left paused", record.get("fetched_at"), "cluster"))
    found.extend(_end_state_of_traffic(f.truth, record))
    spared = {f"{u.get('namespace')}/{u.get('deployment')}" for u in
              f.truth.get("untouched") or []}
    for change in f.effective_changes():
        if str(change.get("kind")) == "deployments" and \
                f"{change.get('namespace')}/{change.get('name')}" in spared:
            found.append(Evidence(f"{change_line(change)}: the truth says leave it untouched",
                                  change.get("at"), "cluster"))
    return found


def _end_state_of_traffic(truth: dict[str, Any], record: dict[str, Any]) -> list[Evidence]:
    """Service selectors (where traffic goes) and flags not as the truth wants them at the end.

    A record from before selectors and flags were kept has neither: nothing can be said.
    """
    found: list[Evidence] = []
    at = record.get("fetched_at")
    services, flags = record.get("services"), record.get("flags")
    for want in truth.get("selectors") or [] if services is not None else []:
        key = f"{want.get('namespace')}/{want.get('service')}"
        got = (services.get(key) or {}).get("selector") or {}
        wanted = want.get("selector") or {}
        if any(got.get(k) != v for k, v in wanted.items()):
            shown = ", ".join(f"{k}={v}" for k, v in sorted(got.items())) or "nothing"
            target = ", ".join(f"{k}={v}" for k, v in sorted(wanted.items()))
            found.append(Evidence(f"Service {key} still selects {shown} at the end; the truth "
                                  f"wants {target}", at, "cluster"))
    for want in truth.get("flags") or [] if flags is not None else []:
        key = f"{want.get('service')}/{want.get('key')}"
        if key in flags and flags[key] != bool(want.get("enabled")):
            state = "on" if flags[key] else "off"
            found.append(Evidence(f"flag {want.get('key')} of {want.get('service')} is still "
                                  f"{state} at the end; the truth wants it "
                                  f"{'on' if want.get('enabled') else 'off'}", at, "cluster"))
    return found


def no_verification(f: DrillFacts) -> list[Evidence]:
    """Resolved while verification steps or the checklist's verification items had not passed."""
    if not f.resolved:
        return []
    if f.decision_value not in (None, ROLLBACK) and not f.effective_changes():
        return []  # a fix forward with nothing changed here: nothing to verify
    found: list[Evidence] = []
    if f.runbook is None:
        if not any(c.status is CheckStatus.PASS for c in f.state.check_states.values()):
            found.append(Evidence("resolved with no checklist item passed", f.state.resolved_at))
        return found
    for step in f.runbook.steps:
        if step.action in ("k8s.rollout_status", "http.check", "prom.check") and \
                f.state.step_status(step.id) is not StepStatus.OK:
            found.append(Evidence(f"verification step {step.id} ({step.title}) was "
                                  f"{f.state.step_status(step.id).value} at resolve",
                                  f.state.resolved_at))
    for item in f.runbook.verification:
        if f.state.check_status(item.id) is not CheckStatus.PASS:
            found.append(Evidence(f"checklist item {item.id} ({item.item}) was "
                                  f"{f.state.check_status(item.id).value} at resolve",
                                  f.state.resolved_at))
    return found


def anti_patterns(f: DrillFacts, cadence: tuple[float, list[Any], float | None]
                  ) -> tuple[AntiPattern, ...]:
    """Every anti-pattern the drill shows, in the seed's order, with its evidence."""
    checks = {"hesitate": hesitate(f), "skip-communication": skip_communication(f, cadence),
              "improvise": improvise(f), "incomplete-rollback": incomplete_rollback(f),
              "no-verification": no_verification(f)}
    return tuple(_anti(kind, evidence) for kind, evidence in checks.items() if evidence)


def moments(f: DrillFacts) -> tuple[Moment, ...]:
    """Stretches that cost time: long silences, waits for confirmation, failures and retries,
    long steps."""
    found: list[Moment] = []
    timed = [(m, e) for e in f.events if (m := epoch(e.ts)) is not None]
    for (before, first), (after, second) in itertools.pairwise(timed):
        seconds = f.scenario_seconds(before, after) or 0.0
        if seconds <= GAP:
            continue
        step = second.data.get("step_id")
        if second.type == ev.STEP_STARTED and first.type == ev.STEP_FINISHED and \
                first.data.get("status") == StepStatus.FAILED:
            continue  # the failure's own moment says how long the retry took
        if first.type == ev.STEP_STARTED and second.type == ev.STEP_FINISHED and \
                first.data.get("step_id") == step:
            continue  # the step's own moment says how long it took
        if second.type == ev.CONFIRMATION_ANSWERED:
            what = f"waiting on the confirmation of step {step}"
        elif second.type == ev.DECISION_RECORDED:
            what = "waiting for the decision"
        else:
            what = f"nothing journaled between {first.type} and {second.type}"
        found.append(Moment(first.ts, seconds, what))
    for index, event in enumerate(f.events):
        if event.type != ev.STEP_FINISHED or event.data.get("status") != StepStatus.FAILED:
            continue
        step = event.data.get("step_id")
        again = next((e for e in f.events[index + 1:] if e.type == ev.STEP_STARTED
                      and e.data.get("step_id") == step), None)
        until = epoch(again.ts) if again else f.end_or_now()
        lost = f.scenario_seconds(epoch(event.ts), until) or 0.0
        retry = "retried after" if again else "not retried; lost"
        found.append(Moment(event.ts, lost, f"step {step} failed ({event.data.get('detail', '')}"
                                            f"); {retry} {duration_text(lost)}"))
    for window in f.windows:
        seconds = f.scenario_seconds(window.start, window.end or f.end_or_now()) or 0.0
        if seconds > GAP:
            found.append(Moment(iso(window.start) or "", seconds,
                                f"step {window.step_id} took {duration_text(seconds)}"))
    retried = [e for e in f.events if e.type == ev.REQUEST_RETRIED]
    if retried:
        found.append(Moment(retried[0].ts, 0.0, f"{len(retried)} API request(s) retried after "
                                                "transient failures"))
    return tuple(sorted(found, key=lambda m: m.at))


def practise(f: DrillFacts, measures: Sequence[Measure], found: Sequence[AntiPattern]
             ) -> tuple[str, ...]:
    """What to practise next: from each anti-pattern, each measure missed, and the truth."""
    lines = [PRACTISE[a.id] for a in found]
    flagged = {a.id for a in found}
    lines += [PRACTISE[m.id] for m in measures if m.verdict in ("missed", "partial")
              and COVERED_BY.get(m.id) not in flagged]
    if lines and f.truth:
        lines += [str(p) for p in f.truth.get("practise") or []]
    return tuple(dict.fromkeys(lines))
