"""Scorecards of the bad-release drill as the scorer would build them, for the debrief tests: a
good play (decided in 6 minutes, reverted through the runbook, verified) and a bad play (hesitated,
rolled back with kubectl in another pane to the wrong revision, no status update, verification
skipped) — and a hostile one whose quoted strings carry escapes, markup and bidi overrides."""

from __future__ import annotations

from dataclasses import replace

from tui.domain.drill_scorecard import AntiPattern, Evidence, Measure, Moment, Scorecard, grade_for

INCIDENT_ID = "20261130-041207-revert-deployment"
TRUTH = {
    "decision": "ROLLBACK", "strategy": "revert-deployment", "severity": "P1",
    "targets": [{"namespace": "production", "deployment": "checkout", "revision": 2,
                 "version": "2.3.1"}],
    "untouched": [{"namespace": "production", "deployment": "payments"}],
    "restore_within": "15m",
    "why": "2.4.0 crash-loops on start and 12 % of checkouts fail: a P1 with a known-good "
           "previous revision and no data change, so the seed's Type 1 revert to revision 2 "
           "(2.3.1) is the fastest safe way back; fixing forward would take longer than the "
           "15 minutes the decision may take.",
    "practise": ["decide within 15 minutes: assess, then call it",
                 "roll back through the runbook, not kubectl in another pane"],
}


def at(clock: str) -> str:
    """A journal timestamp on the drill's day."""
    return f"2026-11-30T{clock}.000Z"


def _measures(good: bool) -> tuple[Measure, ...]:
    j, c = "journal", "cluster"
    if good:
        return (
            Measure("time-to-decision", "Time to decision", "6m 3s",
                    "≤ 15m (seed: decide within 15 minutes)", "met", 20, 20, 363.0,
                    (Evidence("detected 04:13:40, decision recorded 04:19:43", at("04:19:43")),)),
            Measure("time-to-restore", "Time to restore", "9m 51s",
                    "≤ 15m (seed: Type 1 revert 5–15 minutes)", "met", 20, 20, 591.0),
            Measure("decision", "Decision", "ROLLBACK", "ROLLBACK (ground truth)", "met", 15, 15),
            Measure("strategy", "Strategy", "revert-deployment", "revert-deployment", "met",
                    10, 10),
            Measure("target", "Target revision", "rev 2 (2.3.1)", "rev 2 (2.3.1)", "met", 10, 10),
            Measure("steps-skipped", "Steps skipped", "none", "none of 13 skipped", "met", 10, 10),
            Measure("verification", "Verification", "12 of 13 items", "every item checked",
                    "partial", 5, 10, 12 / 13,
                    (Evidence("“Customer reports stopped” left open", None, j),)),
            Measure("status-updates", "Status updates", "2, every 9m",
                    "every 15m (runbook: communication.update_every)", "met", 5, 5, 2.0))
    return (
        Measure("time-to-decision", "Time to decision", "24m 10s",
                "≤ 15m (seed: decide within 15 minutes)", "partial", 10, 20, 1450.0,
                (Evidence("detected 04:13:40, decision recorded 04:37:50", at("04:37:50"), j),)),
        Measure("time-to-restore", "Time to restore", "31m 5s",
                "≤ 15m (seed: Type 1 revert 5–15 minutes)", "partial", 5, 20, 1865.0),
        Measure("decision", "Decision", "ROLLBACK", "ROLLBACK (ground truth)", "met", 15, 15),
        Measure("strategy", "Strategy", "none (kubectl by hand)", "revert-deployment", "missed",
                0, 10, None,
                (Evidence("PATCH deployments/checkout rollback by kubectl/v1.31.0, outside "
                          "any runbook step", at("04:39:12"), c),)),
        Measure("target", "Target revision", "rev 1 (2.2.0)", "rev 2 (2.3.1)", "missed", 0, 10,
                None, (Evidence("production/checkout ended at revision 5 = 2.2.0, "
                                "the ground truth wants 2.3.1", at("04:44:45"), c),)),
        Measure("steps-skipped", "Steps skipped", "4 of 13",
                "none skipped (announce, snapshot and verify are the runbook's)", "partial", 4,
                10, 4.0, (Evidence("skipped “Announce rollback”: no time", at("04:38:01")),
                          Evidence("skipped “Take snapshot”: kubectl was faster",
                                   at("04:38:20")))),
        Measure("verification", "Verification", "3 of 13 items", "every item checked",
                "partial", 3, 10, 3 / 13),
        Measure("status-updates", "Status updates", "none in 31m",
                "every 15m (runbook: communication.update_every)", "missed", 0, 5, 0.0))


def _anti_patterns() -> tuple[AntiPattern, ...]:
    return (
        AntiPattern("hesitate", "Hesitate Too Long", "Hoping the issue will resolve", 3, (
            Evidence("24m 10s from detection to decision; the seed says decide within 15m",
                     at("04:37:50")),
            Evidence("error rate 12 % (threshold 5 %) the whole time", at("04:20:00"),
                     "scenario"))),
        AntiPattern("improvise", "Improvise", "Making changes outside the runbook", 3, (
            Evidence("PATCH /apis/apps/v1/namespaces/production/deployments/checkout by "
                     "kubectl/v1.31.0 (linux/amd64) — no runbook step was running",
                     at("04:39:12"), "cluster"),
            Evidence("PATCH …/deployments/checkout/scale replicas 3 → 5 by kubectl/v1.31.0",
                     at("04:41:30"), "cluster"))),
        AntiPattern("skip-communication", "Skip Communication",
                    "Forgetting to update stakeholders", 2, (
                        Evidence("no status update in 31m; one was due every 15m",
                                 at("04:28:40")),)),
        AntiPattern("incomplete-rollback", "Incomplete Rollback",
                    "Rolling back only some components", 2, (
                        Evidence("production/checkout runs 2.2.0 (revision 1), not 2.3.1",
                                 at("04:44:45"), "cluster"),)),
        AntiPattern("no-verification", "No Verification", "Assuming rollback worked", 2, (
            Evidence("closed with 10 of 13 checklist items open", at("04:45:00")),)))


def good_play() -> Scorecard:
    """Decided in 6 minutes, reverted to revision 2 through the runbook, verified."""
    measures = _measures(True)
    score = sum(m.points for m in measures)
    return Scorecard(
        INCIDENT_ID, "bad-release",
        "checkout 2.4.0 (revision 3) crash-loops and fails ~12% of requests", "alice@laptop",
        at("04:12:07"), at("04:32:00"), 1.0, score, 100, grade_for(score, 100), measures, (),
        TRUTH, (Moment(at("04:13:40"), 363.0, "from detection to the decision"),),
        (), ({"seq": 1, "event": "user-reports", "detail": "a burst of 40 user reports arrives",
              "source": "schedule", "fired_at": at("04:16:00"), "scenario_seconds": 233.0,
              "journaled_at": at("04:16:00")},))


def bad_play() -> Scorecard:
    """Hesitated, rolled back by hand to the wrong revision, said nothing, barely verified."""
    measures = _measures(False)
    anti = _anti_patterns()
    score = max(sum(m.points for m in measures) - sum(a.penalty for a in anti), 0)
    return Scorecard(
        INCIDENT_ID, "bad-release",
        "checkout 2.4.0 (revision 3) crash-loops and fails ~12% of requests", "bob@laptop",
        at("04:12:07"), at("04:45:00"), 1.0, score, 100, grade_for(score, 100), measures, anti,
        TRUTH,
        (Moment(at("04:13:40"), 1450.0,
                "from detection to the decision: the meeting ran past 15 minutes"),
         Moment(at("04:39:12"), 333.0,
                "the hand-made rollback to 2.2.0 was rolled out, then scaled")),
        tuple(TRUTH["practise"]) + ("post the first status update within 15 minutes",),
        ({"seq": 1, "event": "prometheus-down", "detail": "Prometheus stops answering",
          "source": "facilitator", "fired_at": at("04:22:00"), "scenario_seconds": 593.0,
          "journaled_at": at("04:22:00")},),
        (LATE_RECORD,))


LATE_RECORD = ("the drill's change record was fetched 20 s before the end: a change after "
               "04:44:40 would not be in it")
HOSTILE = "\x1b[2J\x1b]0;owned\x07[bold red]boom[/] \u202egnp.exe\u202c [link=http://x]y[/link]"


def hostile_play() -> Scorecard:
    """The bad play with hostile strings wherever the scorecard quotes the journal or cluster."""
    card = bad_play()
    first = card.anti_patterns[0]
    poisoned = replace(first, title=f"Hesitate {HOSTILE}", evidence=(
        Evidence(f"note said {HOSTILE}", at("04:20:00")),))
    return replace(card, scenario_id=f"bad{HOSTILE}", operator=f"mallory{HOSTILE}",
                   anti_patterns=(poisoned, *card.anti_patterns[1:]),
                   practise=(f"read {HOSTILE}",),
                   moments=(Moment(at("04:13:40"), 60.0, f"waited {HOSTILE}"),),
                   truth={**card.truth, "why": f"because {HOSTILE}"})
