"""The score of a practice drill, from its journal alone: eight measures against the seed's
targets and the scenario's ground truth, less the penalties of the seed's anti-patterns.

Score = round(100 × points earned / points of the measures that apply) − penalties, floored at
0. A measure that does not apply (no ground truth, a correct fix forward, nothing due yet on an
open drill) is `n/a` and left out of both sides.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from tui.domain.comms_cadence import status_updates, update_every
from tui.domain.drill_facts import ROLLBACK, DrillFacts, gather
from tui.domain.drill_findings import anti_patterns, moments, practise
from tui.domain.drill_scorecard import Evidence, Measure, Scorecard, Verdict, grade_for
from tui.domain.drill_timing import clock_text, duration_text, epoch, iso
from tui.domain.durations import parse_duration
from tui.domain.incident import IncidentState, JournalEvent
from tui.domain.runbook import Runbook, Step
from tui.domain.status import CheckStatus, StepStatus
from tui.domain.strategies import BY_ID, MEETING_MAX, MEETING_TARGET

WEIGHTS = {"time-to-decision": 20, "time-to-restore": 15, "decision": 15, "strategy": 10,
           "target": 10, "steps-skipped": 10, "verification": 10, "status-updates": 10}
# The upper end of each strategy's time in the seed (database: "several hours", taken as 4 h).
RESTORE_WITHIN = {"revert-deployment": 15 * 60, "blue-green-switchback": 5 * 60,
                  "feature-flag-disable": 60, "database-rollback": 4 * 3600,
                  "full-system-rollback": 2 * 3600}
EVERY_DEFAULT = 15 * 60.0
# Actions that change the system: the restore is done when the last of them ran …
CHANGING = ("k8s.rollout_undo", "k8s.scale", "k8s.set_env", "k8s.patch_service_selector",
            "k8s.patch_configmap", "http.request", "shell")
# … and verified when a check step after it passed.
VERIFYING = ("k8s.rollout_status", "http.check", "prom.check")


def _measure(measure_id: str, title: str, value: str, target: str, verdict: Verdict,
             share: float, number: float | None = None,
             evidence: Sequence[Evidence] = ()) -> Measure:
    weight = WEIGHTS[measure_id]
    points = 0 if verdict == "n/a" else round(weight * max(min(share, 1.0), 0.0))
    return Measure(measure_id, title, value, target, verdict, points, weight, number,
                   tuple(evidence))


def time_to_decision(f: DrillFacts) -> Measure:
    """Detection → decision, against the seed's 15 minutes (half points up to 30)."""
    title, target = "Time to decision", "≤ 15m (seed: decide within 15 minutes of detection)"
    seconds = f.scenario_seconds(f.detected_at, f.decided_at)
    if seconds is None:
        waited = f.scenario_seconds(f.detected_at, f.end_or_now())
        if not f.resolved and (waited or 0) <= MEETING_TARGET:
            return _measure("time-to-decision", title, "not decided yet", target, "n/a", 0)
        return _measure("time-to-decision", title, "no decision recorded", target, "missed", 0,
                        waited, [Evidence(f"no decision after {duration_text(waited)}")])
    evidence = [Evidence(f"detected {clock_text(f.detected_at)}, decided "
                         f"{clock_text(f.decided_at)}: {duration_text(seconds)} of scenario "
                         f"time (×{f.clock.scale:g})", iso(f.decided_at))]
    if seconds <= MEETING_TARGET:
        return _measure("time-to-decision", title, duration_text(seconds), target, "met", 1,
                        seconds, evidence)
    verdict: Verdict = "partial" if seconds <= MEETING_MAX else "missed"
    return _measure("time-to-decision", title, duration_text(seconds), target, verdict,
                    0.5 if verdict == "partial" else 0, seconds, evidence)


def _changes(step: Step) -> bool:
    if step.action == "http.request":
        return str(step.args.get("method") or "GET").upper() != "GET"
    return step.action in CHANGING


def restore_target(f: DrillFacts) -> tuple[float, str]:
    """Seconds the restore should take, and where that comes from."""
    within = (f.truth or {}).get("restore_within")
    if within:
        try:
            return parse_duration(str(within)), "the scenario's truth"
        except ValueError:
            pass
    strategy = f.strategy or "revert-deployment"
    known = BY_ID.get(strategy)
    seconds = RESTORE_WITHIN.get(strategy, 15 * 60)
    return seconds, f"seed: {known.title} {known.time}" if known else "seed: 15 minutes"


def restored_at(f: DrillFacts) -> tuple[float | None, str]:
    """When the rollback was done and verified: the first check step that passed after the
    last changing step (else that step's end), and which step it was."""
    if f.runbook is None:
        return None, ""
    order = [s for s in f.runbook.steps if f.state.step_status(s.id) is StepStatus.OK]
    changing = [i for i, s in enumerate(order) if _changes(s)]
    if not changing:
        return None, ""
    last = changing[-1]
    after = [s for s in order[last + 1:] if s.action in VERIFYING]
    step = after[0] if after else order[last]
    return epoch(f.state.steps[step.id].finished_at), step.id


def time_to_restore(f: DrillFacts) -> Measure:
    """Decision → rollback done and verified, against the truth or the strategy's time."""
    title = "Time to restore"
    limit, source = restore_target(f)
    target = f"≤ {duration_text(limit)} ({source})"
    if f.decision_value not in (None, ROLLBACK) and f.truth_decision in (None,
                                                                         f.decision_value):
        return _measure("time-to-restore", title, f"{f.decision_value.lower()}: no rollback",
                        target, "n/a", 0)
    done, step_id = restored_at(f)
    seconds = f.scenario_seconds(f.decided_at, done)
    if seconds is None:
        if not f.resolved:
            return _measure("time-to-restore", title, "not restored yet", target, "n/a", 0)
        return _measure("time-to-restore", title, "not restored by the runbook", target,
                        "missed", 0, None, [Evidence("no rollback step of the runbook finished "
                                                     "after a decision")])
    evidence = [Evidence(f"decided {clock_text(f.decided_at)}, step {step_id} done "
                         f"{clock_text(done)}: {duration_text(seconds)} of scenario time",
                         iso(done))]
    if seconds <= limit:
        return _measure("time-to-restore", title, duration_text(seconds), target, "met", 1,
                        seconds, evidence)
    verdict: Verdict = "partial" if seconds <= 2 * limit else "missed"
    return _measure("time-to-restore", title, duration_text(seconds), target, verdict,
                    0.5 if verdict == "partial" else 0, seconds, evidence)


def decision(f: DrillFacts) -> Measure:
    """The decision against the ground truth, else against the seed's criteria."""
    title = "Decision"
    made, truth, seed = f.decision_value, f.truth_decision, f.recommended
    evidence = []
    if seed:
        evidence.append(Evidence(f"the assessment recommended {seed} (seed's decision matrix)"))
    if truth:
        evidence.append(Evidence(f"the scenario's truth is {truth}: "
                                 f"{(f.truth or {}).get('why') or 'no reason given'}",
                                 source="scenario"))
    if made is None:
        verdict: Verdict = "missed" if f.resolved else "n/a"
        return _measure("decision", title, "none recorded", truth or seed or "—", verdict, 0,
                        None, evidence)
    if truth:
        right = made == truth
        return _measure("decision", title, made, f"{truth} (scenario truth)",
                        "met" if right else "missed", 1 if right else 0, 1.0 if right else 0.0,
                        evidence)
    if seed:
        agrees = made == seed
        return _measure("decision", title, made, f"{seed} (seed's criteria)",
                        "met" if agrees else "partial", 1 if agrees else 0.5,
                        1.0 if agrees else 0.5, evidence)
    return _measure("decision", title, made, "no truth, no assessment", "n/a", 0)


def strategy(f: DrillFacts) -> Measure:
    """The strategy decided on (decision record, else runbook) against the truth."""
    title, chosen = "Strategy", f.strategy or "—"
    wanted = (f.truth or {}).get("strategy")
    if not wanted or f.decision_value not in (None, ROLLBACK):
        why = "no ground truth" if not f.truth else "no strategy applies"
        return _measure("strategy", title, chosen, why, "n/a", 0)
    right = chosen == wanted
    return _measure("strategy", title, chosen, f"{wanted} (scenario truth)",
                    "met" if right else "missed", 1 if right else 0, 1.0 if right else 0.0,
                    [Evidence(f"decided with strategy {chosen}", iso(f.decided_at))])


def target(f: DrillFacts) -> Measure:
    """The target revisions frozen at decision (target.resolved) against the truth's."""
    title = "Target revision"
    wanted = [t for t in (f.truth or {}).get("targets") or [] if isinstance(t, dict)]
    if not wanted or f.decision_value not in (None, ROLLBACK):
        return _measure("target", title, "—", "no target in the truth", "n/a", 0)
    hits, evidence = 0, []
    for want in wanted:
        key = f"{want.get('namespace')}/{want.get('deployment')}"
        got = f.state.targets.get(key)
        final = ((f.record or {}).get("deployments") or {}).get(key)
        if got is None and final is not None and f.resolved:
            # The runbook froze no target here (a flag, a Git revert, a traffic switch): what
            # runs at the end is what was aimed at.
            same = want.get("version") in (None, final.get("version"))
            hits += same
            evidence.append(Evidence(f"{key}: no target frozen; {final.get('version')} runs at "
                                     f"the end, truth {want.get('version')}",
                                     (f.record or {}).get("fetched_at"), "cluster"))
            continue
        if got is None:
            evidence.append(Evidence(f"{key}: no target chosen"))
            continue
        same = (want.get("revision") in (None, got.get("revision"))
                and want.get("version") in (None, got.get("version")))
        hits += same
        evidence.append(Evidence(f"{key}: rev {got.get('revision')} ({got.get('version')}) "
                                 f"chosen, truth rev {want.get('revision')} "
                                 f"({want.get('version')})"))
    if not f.state.targets and not f.resolved:
        return _measure("target", title, "not chosen yet", "the truth's", "n/a", 0)
    share = hits / len(wanted)
    verdict: Verdict = "met" if share == 1 else ("partial" if hits else "missed")
    return _measure("target", title, f"{hits} of {len(wanted)}", "the truth's revisions",
                    verdict, share, share, evidence)


def steps_skipped(f: DrillFacts) -> Measure:
    """Steps skipped with a reason are fine; without one (or never run at resolve) they cost."""
    title = "Steps skipped"
    if f.runbook is None:
        return _measure("steps-skipped", title, "runbook unknown", "every skip explained",
                        "n/a", 0)
    rollback = f.decision_value == ROLLBACK or f.truth_decision == ROLLBACK
    explained, unexplained = [], []
    for step in f.runbook.steps:
        state = f.state.steps.get(step.id)
        status = state.status if state else StepStatus.PENDING
        if status is StepStatus.SKIPPED:
            (explained if state and state.reason.strip() else unexplained).append(step.id)
        elif status is StepStatus.PENDING and f.resolved and rollback:
            unexplained.append(step.id)
    if not rollback and not f.state.steps:
        return _measure("steps-skipped", title, "no runbook steps needed", "—", "n/a", 0)
    total = len(f.runbook.steps)
    evidence = [Evidence(f"step {s} skipped: {f.state.steps[s].reason}") for s in explained]
    evidence += [Evidence(f"step {s} " + ("skipped without a reason" if s in f.state.steps
                                          else "never run")) for s in unexplained]
    share = 1 - len(unexplained) / total if total else 1.0
    verdict: Verdict = "met" if not unexplained else ("partial" if share >= 0.5 else "missed")
    value = f"{len(explained)} with a reason, {len(unexplained)} without"
    return _measure("steps-skipped", title, value, "every skipped step has a reason", verdict,
                    share, float(len(unexplained)), evidence)


def verification(f: DrillFacts) -> Measure:
    """Checklist items passed (automatic or ticked) out of all of them."""
    title = "Verification"
    # Post-rollback actions (incident report, RCA …) follow the incident: not counted here.
    after = {i.id for i in f.runbook.post_rollback} if f.runbook else set()
    items = [i.id for i in f.runbook.checklist_items() if i.id not in after] if f.runbook \
        else list(f.state.check_states)
    if not items:
        return _measure("verification", title, "no checklist", "—", "n/a", 0)
    if f.decision_value not in (None, ROLLBACK) and not f.effective_changes():
        # A fix forward leaves this system as it is: the rollback's checklist does not apply.
        return _measure("verification", title, f"{f.decision_value}: nothing rolled back",
                        "—", "n/a", 0)
    passed = [i for i in items if f.state.check_status(i) is CheckStatus.PASS]
    share = len(passed) / len(items)
    if not f.resolved and share < 1 and not passed:
        return _measure("verification", title, f"0 of {len(items)} items", "all items pass",
                        "n/a", 0)
    evidence = [Evidence(f"item {i} {f.state.check_status(i).value} at resolve"
                         if f.resolved else f"item {i} {f.state.check_status(i).value}")
                for i in items if i not in passed]
    verdict: Verdict = "met" if share == 1 else ("partial" if share >= 0.5 else "missed")
    return _measure("verification", title, f"{len(passed)} of {len(items)} items",
                    "all items pass", verdict, share, share, evidence)


def cadence_gaps(f: DrillFacts) -> tuple[float, list[tuple[float, float, float]], float | None]:
    """(cadence seconds, [(from, to, scenario seconds)] between updates, start)."""
    every = update_every(f.runbook) if f.runbook else EVERY_DEFAULT
    start = f.decided_at or f.opened
    sent = sorted(m for c in status_updates(f.state) if (m := epoch(c.get("sent_at"))))
    marks = [m for m in [start, *sent, f.end_or_now()] if m is not None]
    gaps = [(a, b, f.scenario_seconds(a, b) or 0.0) for a, b in itertools.pairwise(marks)]
    return every, gaps, start


def status_updates_measure(f: DrillFacts) -> Measure:
    """Status updates sent on the cadence (runbook's update_every, else the seed's 15 min)."""
    title = "Status updates"
    every, gaps, _start = cadence_gaps(f)
    target = f"every {duration_text(every)} (seed 5.1)"
    sent = status_updates(f.state)
    late = [g for g in gaps if g[2] > every]
    if not sent:
        if not f.resolved and not late:
            return _measure("status-updates", title, "none due yet", target, "n/a", 0)
        return _measure("status-updates", title, "none sent", target, "missed", 0, 0.0,
                        [Evidence("no status update was sent")])
    evidence = [Evidence(f"{duration_text(g[2])} without an update from {clock_text(g[0])} "
                         f"to {clock_text(g[1])}", iso(g[1])) for g in late]
    share = 1 - len(late) / len(gaps) if gaps else 1.0
    verdict: Verdict = "met" if not late else "partial"
    return _measure("status-updates", title, f"{len(sent)} sent, {len(late)} late", target,
                    verdict, share, float(len(late)), evidence)


def score_drill(state: IncidentState, events: Sequence[JournalEvent], runbook: Runbook | None
                ) -> Scorecard:
    """The scorecard of a drill (provisional while it is open)."""
    f = gather(state, events, runbook)
    measures = (time_to_decision(f), time_to_restore(f), decision(f), strategy(f), target(f),
                steps_skipped(f), verification(f), status_updates_measure(f))
    found = anti_patterns(f, cadence_gaps(f))
    applicable = [m for m in measures if m.verdict != "n/a"]
    available = sum(m.max_points for m in applicable)
    earned = sum(m.points for m in applicable)
    penalty = sum(a.penalty for a in found)
    base = round(100 * earned / available) if available else 0
    score = max(base - penalty, 0)
    scenario = state.drill_scenario or {}
    return Scorecard(
        incident_id=state.incident_id or "", scenario_id=str(scenario.get("scenario") or ""),
        scenario_description=str(scenario.get("description") or ""),
        operator=state.opened_by, started_at=str(scenario.get("drill_started_at")
                                                 or state.opened_at or ""),
        ended_at=state.resolved_at, speed=f.clock.scale, score=score, max_score=100,
        grade=grade_for(score, 100), measures=measures, anti_patterns=found,
        truth=dict(f.truth or {}), moments=moments(f), practise=practise(f, measures, found),
        twists=tuple(dict(t) for t in state.twists), warnings=tuple(f.warnings),
        extra={"earned": earned, "available": available, "penalty": penalty,
               "weights": dict(WEIGHTS), "decision": f.decision_value,
               "recommended": f.recommended})
