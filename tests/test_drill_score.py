"""The drill scorer on built journals: every measure and anti-pattern can trigger and can pass."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from exports_scenario import runbook

from tui.domain import incident as ev
from tui.domain.drill_score import WEIGHTS, score_drill
from tui.domain.drill_scorecard import Scorecard
from tui.domain.incident import JournalEvent, replay

T0 = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)
RUNBOOK = runbook()
TRUTH = {"decision": "ROLLBACK", "strategy": "revert-deployment", "severity": "P1",
         "targets": [{"namespace": "production", "deployment": "checkout", "revision": 2,
                      "version": "2.3.1"}],
         "untouched": [{"namespace": "production", "deployment": "payments"}],
         "why": "a P1 with no workaround and a healthy previous revision: revert",
         "practise": ["reading the crash loop from the pod panel"]}
GOOD_FINAL = {"production/checkout": {"revision": 4, "image": "c:2.3.1", "version": "2.3.1",
                                      "paused": False, "ready": 3, "replicas": 3},
              "production/payments": {"revision": 1, "image": "p:1.0", "version": "1.0",
                                      "paused": False, "ready": 2, "replicas": 2}}


def at(minutes: float) -> str:
    """ISO time `minutes` after T0."""
    return (T0 + timedelta(minutes=minutes)).isoformat()


class Drill:
    """A drill journal built event by event (wall minutes after T0)."""

    def __init__(self, scale: float = 1.0, truth: dict[str, Any] | None = TRUTH) -> None:
        self.events: list[JournalEvent] = []
        self.add(0, ev.INCIDENT_OPENED, {"incident_id": "INC-1", "runbook_id": RUNBOOK.id,
                                         "drill": True,
                                         "connection": {"time_scale": scale}})
        self.add(0, ev.DRILL_STARTED, {"scenario": "bad-release", "description": "crash loop",
                                       "truth": truth, "speed": scale,
                                       "drill_started_at": at(0), "release_at": at(-10),
                                       "twists_scheduled": []})

    def add(self, minutes: float, kind: str, data: dict[str, Any]) -> Drill:
        """Append one event."""
        self.events.append(JournalEvent(1, len(self.events) + 1, at(minutes), "alice@host",
                                        kind, data, ""))
        return self

    def assess(self, minutes: float, recommended: str = "ROLLBACK") -> Drill:
        """An assessment whose recommendation is `recommended`."""
        return self.add(minutes, ev.ASSESSMENT_RECORDED,
                        {"inputs": {"severity": "P1"}, "recommendation": {"decision": recommended}})

    def decide(self, minutes: float, decision: str = "ROLLBACK", detected: float = -3,
               strategy: str = "revert-deployment", revision: int = 2) -> Drill:
        """The decision record and the target it froze."""
        self.add(minutes, ev.DECISION_RECORDED, {"decision": decision, "strategy": strategy,
                                                 "detected_at": at(detected),
                                                 "decided_at": at(minutes)})
        return self.add(minutes, ev.TARGET_RESOLVED, {
            "namespace": "production", "deployment": "checkout", "revision": revision,
            "version": {2: "2.3.1", 1: "2.2.0"}.get(revision, "?")})

    def steps(self, start: float, each: float = 0.25, skip: dict[str, str] | None = None,
              fail: str = "") -> float:
        """Run every runbook step in order from `start`; returns the minute after the last."""
        now = start
        for step in RUNBOOK.steps:
            if skip and step.id in skip:
                self.add(now, ev.STEP_FINISHED, {"step_id": step.id, "status": "skipped",
                                                 "reason": skip[step.id]})
                continue
            if step.id == fail:
                self.add(now, ev.STEP_STARTED, {"step_id": step.id})
                self.add(now + each, ev.STEP_FINISHED, {"step_id": step.id, "status": "failed",
                                                        "detail": "timed out"})
                now += 5
            self.add(now, ev.STEP_STARTED, {"step_id": step.id})
            now += each
            self.add(now, ev.STEP_FINISHED, {"step_id": step.id, "status": "ok"})
        return now

    def update(self, minutes: float) -> Drill:
        """A status update sent."""
        return self.add(minutes, ev.COMMS_SENT, {"template": "status-update", "sent_at": at(minutes)})

    def checks(self, minutes: float, only: int | None = None) -> Drill:
        """Pass every checklist item (or the first `only`)."""
        for item in RUNBOOK.checklist_items()[:only]:
            self.add(minutes, ev.CHECK_RECORDED, {"item_id": item.id, "status": "pass"})
        return self

    def record(self, minutes: float, changes: list[dict[str, Any]] | None = None,
               final: dict[str, Any] | None = None) -> Drill:
        """The drill's change record."""
        return self.add(minutes, ev.DRILL_RECORD, {
            "changes": changes if changes is not None else [change(7.0, "rollback-tui")],
            "deployments": final or GOOD_FINAL, "fetched_at": at(minutes)})

    def resolve(self, minutes: float) -> Drill:
        """incident.resolved."""
        return self.add(minutes, ev.INCIDENT_RESOLVED, {"status": "SUCCESS"})

    def score(self) -> Scorecard:
        """The scorecard of what was built (its events in time order, as a journal has them)."""
        events = sorted(self.events, key=lambda e: e.ts)
        return score_drill(replay(events, live=True), events, RUNBOOK)


def change(minutes: float, agent: str, name: str = "checkout", dry_run: bool = False,
           status: int = 200) -> dict[str, Any]:
    """One entry of the drill's change record."""
    return {"at": at(minutes), "method": "PATCH",
            "path": f"/apis/apps/v1/namespaces/production/deployments/{name}",
            "kind": "deployments", "namespace": "production", "name": name, "subresource": "",
            "user_agent": f"{agent}/v1.32.4 (linux/amd64)", "status": status,
            "dry_run": dry_run}


def good(decided: float = 2.0, updates: tuple[float, ...] = (3.0, 5.0), **record: Any
         ) -> Drill:
    """A drill played right: assess, decide in time, run every step, update, verify."""
    drill = Drill().assess(1.0).decide(decided)
    end = drill.steps(decided + 0.5)
    for minute in updates:
        drill.update(minute)
    drill.checks(end)
    return drill.record(end + 0.5, **record).resolve(end + 1)


def ids(card: Scorecard) -> set[str]:
    """The anti-patterns found."""
    return {a.id for a in card.anti_patterns}


def test_a_drill_played_right_scores_high_with_every_measure_met() -> None:
    card = good().score()
    assert ids(card) == set()
    assert {m.id: m.verdict for m in card.measures} == {m: "met" for m in WEIGHTS}
    assert card.score == 100 and card.grade == "excellent" and card.finished
    assert card.measure("time-to-decision").number == pytest.approx(5 * 60)
    assert card.truth["decision"] == "ROLLBACK" and not card.practise


def test_time_to_decision_partial_then_missed_and_hesitation_with_evidence() -> None:
    partial = good(decided=20.0, updates=(21.0, 30.0)).score()
    assert partial.measure("time-to-decision").verdict == "partial"  # 23 minutes
    assert partial.measure("time-to-decision").points == WEIGHTS["time-to-decision"] // 2
    late = good(decided=40.0, updates=(41.0, 50.0)).score()
    assert late.measure("time-to-decision").verdict == "missed"
    hesitation = next(a for a in late.anti_patterns if a.id == "hesitate")
    assert "43m" in hesitation.evidence[0].text and "truth is ROLLBACK" in \
        hesitation.evidence[0].text
    assert any("recommended ROLLBACK at 12:01:00" in e.text for e in hesitation.evidence)
    assert late.score < partial.score < 100


def test_hesitation_from_the_assessment_alone_when_there_is_no_truth() -> None:
    drill = Drill(truth=None).assess(1.0).decide(17.5, detected=16)  # 1.5m from detection
    end = drill.steps(18)
    drill.update(18).checks(end).record(end).resolve(end)
    card = drill.score()
    assert card.measure("time-to-decision").verdict == "met"
    assert [e.text for a in card.anti_patterns if a.id == "hesitate" for e in a.evidence] == \
        ["the assessment recommended ROLLBACK at 12:01:00; the decision came 16m 30s later"]
    assert any("no ground truth" in w for w in card.warnings)
    assert card.measure("strategy").verdict == "n/a"
    assert card.measure("decision").target == "ROLLBACK (seed's criteria)"


def test_speed_turns_wall_minutes_into_scenario_minutes() -> None:
    drill = Drill(scale=20.0).assess(0.1).decide(1.0, detected=0)  # 1 wall minute at ×20
    card = drill.score()
    assert card.measure("time-to-decision").number == pytest.approx(20 * 60)
    assert card.measure("time-to-decision").verdict == "partial"
    assert card.ended_at is None and any("provisional" in w for w in card.warnings)


def test_time_to_restore_against_the_strategys_fifteen_minutes() -> None:
    fast = good().score().measure("time-to-restore")
    assert fast.verdict == "met" and "revert" in fast.target.lower()
    drill = Drill().assess(1).decide(2)
    end = drill.steps(2.5, each=4.0)  # rollout_status, the 9th step, done 36m after deciding
    drill.update(3).checks(end).record(end).resolve(end)
    slow = drill.score().measure("time-to-restore")
    assert slow.verdict == "missed" and slow.number == pytest.approx(36.5 * 60)
    assert "step rollout_status done 12:38:30" in slow.evidence[0].text
    truth = {**TRUTH, "restore_within": "2m"}
    quick = Drill(truth=truth).assess(1).decide(2)
    end = quick.steps(2.5)
    quick.update(3).checks(end).record(end).resolve(end)
    assert quick.score().measure("time-to-restore").verdict == "partial"  # 2m < 2.75m ≤ 4m


def test_wrong_decision_strategy_and_target_are_missed_with_the_truths_reason() -> None:
    drill = Drill().assess(1, recommended="FIX FORWARD").decide(2, decision="FIX FORWARD")
    drill.update(3).resolve(5)
    card = drill.score()
    assert card.measure("decision").verdict == "missed"
    assert any("truth is ROLLBACK: a P1" in e.text for e in card.measure("decision").evidence)
    assert "reading the crash loop from the pod panel" in card.practise
    other = Drill().assess(1).decide(2, strategy="blue-green-switchback", revision=1)
    card = other.score()
    assert card.measure("strategy").verdict == "missed"
    assert card.measure("target").verdict == "missed"
    assert "rev 1 (2.2.0) chosen, truth rev 2 (2.3.1)" in card.measure("target").evidence[0].text


def test_a_correct_fix_forward_has_no_restore_to_time() -> None:
    truth = {"decision": "FIX FORWARD", "why": "irreversible migration"}
    drill = Drill(truth=truth).assess(1, recommended="FIX FORWARD").decide(2, "FIX FORWARD")
    card = drill.update(3).record(4, changes=[]).resolve(5).score()
    assert card.measure("time-to-restore").verdict == "n/a"
    assert card.measure("decision").verdict == "met"
    assert "no-verification" not in ids(card) and "improvise" not in ids(card)


def test_steps_skipped_with_a_reason_pass_without_one_cost() -> None:
    drill = Drill().assess(1).decide(2)
    end = drill.steps(2.5, skip={"assemble_team": "already in the channel"})
    drill.update(3).checks(end).record(end).resolve(end)
    assert drill.score().measure("steps-skipped").verdict == "met"
    drill = Drill().assess(1).decide(2)
    end = drill.steps(2.5, skip={"assemble_team": "", "check_logs": ""})
    drill.update(3).checks(end).record(end).resolve(end)
    measure = drill.score().measure("steps-skipped")
    assert measure.verdict == "partial" and measure.number == 2
    assert "step assemble_team skipped without a reason" in [e.text for e in measure.evidence]


def test_resolving_without_verification_is_flagged_item_by_item() -> None:
    drill = Drill().assess(1).decide(2)
    drill.update(3).record(4).resolve(5)
    card = drill.score()
    assert card.measure("verification").verdict == "missed"
    flagged = next(a for a in card.anti_patterns if a.id == "no-verification")
    texts = [e.text for e in flagged.evidence]
    assert "verification step rollout_status (Verify deployment) was pending at resolve" in texts
    assert any(t.startswith("checklist item services_running") for t in texts)
    half = Drill().assess(1).decide(2)
    end = half.steps(2.5)
    half.update(3).checks(end, only=20).record(end).resolve(end)
    assert half.score().measure("verification").verdict == "partial"


def test_status_updates_none_late_and_overdue_by_more_than_a_cadence() -> None:
    none = good(updates=()).score()
    assert none.measure("status-updates").verdict == "missed"
    assert "no status update sent from the decision (12:02:00)" in \
        next(a for a in none.anti_patterns if a.id == "skip-communication").evidence[0].text
    drill = Drill().assess(1).decide(2)
    end = drill.steps(2.5)
    drill.update(3).update(22).checks(end).record(end).resolve(30)  # 19m gap: late, not 2×
    card = drill.score()
    assert card.measure("status-updates").verdict == "partial"
    assert "skip-communication" not in ids(card)
    drill = Drill().assess(1).decide(2)
    end = drill.steps(2.5)
    drill.update(3).update(40).checks(end).record(end).resolve(41)  # 37m: over 2 cadences
    assert "37m without a status update from 12:03:00 to 12:40:00 (cadence 15m)" in \
        [e.text for a in drill.score().anti_patterns for e in a.evidence]


def test_changes_outside_the_runbook_are_improvised_with_one_line_each() -> None:
    changes = [change(7.0, "rollback-tui"), change(30.0, "kubectl"),
               change(31.0, "kubectl", dry_run=True), change(32.0, "kubectl", status=403)]
    card = good(changes=changes).score()
    flagged = next(a for a in card.anti_patterns if a.id == "improvise")
    assert [(e.text, e.source) for e in flagged.evidence] == \
        [("kubectl PATCH deployments production/checkout at 12:30:00", "cluster")]
    assert card.score == 100 - 15


def test_a_kubectl_change_inside_a_shell_or_http_step_is_the_runbooks() -> None:
    drill = good()
    window = next(e for e in drill.events if e.type == ev.STEP_STARTED
                  and e.data["step_id"] == "current_version")  # an http.request step
    moment = (datetime.fromisoformat(window.ts) - T0).total_seconds() / 60 + 0.05
    inside = good(changes=[change(moment, "curl")]).score()
    assert "improvise" not in ids(inside)
    outside = good(changes=[change(moment + 3, "curl")]).score()
    assert "improvise" in ids(outside)


def test_incomplete_rollback_when_targets_are_not_met_or_the_untouched_changed() -> None:
    final = {**GOOD_FINAL, "production/checkout": {**GOOD_FINAL["production/checkout"],
                                                   "version": "2.4.0", "revision": 3}}
    card = good(final=final).score()
    flagged = next(a for a in card.anti_patterns if a.id == "incomplete-rollback")
    assert flagged.evidence[0].text == ("production/checkout runs 2.4.0 (rev 3) at the end; "
                                        "the truth wants 2.3.1 (rev 2)")
    touched = good(changes=[change(7.0, "rollback-tui", name="payments")]).score()
    assert "leave it untouched" in next(
        a for a in touched.anti_patterns if a.id == "incomplete-rollback").evidence[0].text
    paused = {**GOOD_FINAL, "production/checkout": {**GOOD_FINAL["production/checkout"],
                                                    "paused": True}}
    assert "incomplete-rollback" in ids(good(final=paused).score())


def test_moments_that_cost_time_failures_retries_and_silences() -> None:
    drill = Drill().assess(1).decide(2)
    end = drill.steps(2.5, fail="rollout_status")
    drill.update(3).checks(end + 6).record(end + 6).resolve(end + 6)
    card = drill.score()
    texts = [m.what for m in card.moments]
    assert any(t.startswith("step rollout_status failed (timed out); retried after 4m 45s")
               for t in texts)
    assert any(t.startswith("nothing journaled between") for t in texts)
    assert all(m.seconds > 0 for m in card.moments)
    assert not good().score().moments


def test_a_long_step_is_one_moment_not_also_a_silence() -> None:
    drill = Drill().assess(1).decide(2)
    end = drill.steps(2.5, each=4.5)  # every step takes 4.5 minutes
    drill.update(3).checks(end).record(end).resolve(end)
    texts = [m.what for m in drill.score().moments]
    assert sum(t.startswith("step rollout_status took 4m 30s") for t in texts) == 1
    assert not any("between step.started and step.finished" in t for t in texts), texts


def test_the_scorecard_survives_json() -> None:
    card = good(updates=()).score()
    assert Scorecard.from_dict(card.to_dict()) == card


def test_a_drill_without_its_record_says_so_and_scores_what_it_can() -> None:
    drill = Drill().assess(1).decide(2)
    end = drill.steps(2.5)
    card = drill.update(3).checks(end).resolve(end).score()
    assert any("change record is missing" in w for w in card.warnings)
    assert card.score == 100


def test_history_trends_leave_out_open_drills() -> None:
    from tui.app.commands_drill_score import trends
    from tui.domain.drill_scorecard import Measure, Scorecard

    def card(score: int, ended: str | None) -> Scorecard:
        measure = Measure("decision", "Decision", "ROLLBACK", "ROLLBACK", "met", 15, 15, 1.0)
        return Scorecard("i", "bad-release", "", "op", "2026-11-30T10:00:00+00:00", ended, 20.0,
                         score, 100, "good", (measure,), (), {})

    found = trends([card(60, "2026-11-30T10:30:00+00:00"), card(100, None),
                    card(80, "2026-11-30T11:30:00+00:00")])
    assert found["score"] == {"first": 60, "latest": 80, "best": 80, "drills": 2}
    assert trends([card(100, None)]) == {}
