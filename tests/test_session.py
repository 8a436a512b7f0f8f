"""The incident session driven directly, as the TUI drives it: against the drill cluster over
real HTTP, with a real journal. Journal first: the state after a restart equals the state before.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO

from tui.adapters.journal import load_state
from tui.domain.assessment import (
    Assessment,
    DataMigration,
    Decision,
    Severity,
    Stability,
    Trend,
    Workaround,
)
from tui.domain.incident import replay
from tui.domain.runbook import render_args, validate_runbook
from tui.domain.status import CheckStatus, IncidentStatus, Phase, RollbackStatus, StepStatus
from tui.session.events import (
    CheckRecorded,
    ConfirmationRequest,
    ConfirmationRequested,
    NoteAdded,
    SessionEvent,
    StepFinished,
    StepProgressed,
    StepStarted,
)
from tui.session.session import (
    DecisionInput,
    IncidentSession,
    Resumption,
    SessionConfig,
    SessionError,
)

SPEED = 20


def _runbook(name: str = "revert-deployment") -> tuple[Any, bytes]:
    path = REPO / "runbooks" / f"{name}.yaml"
    data = path.read_bytes()
    runbook = validate_runbook(data, str(path)).runbook
    assert runbook is not None
    return runbook, data


def _open(info: Any, home: Path, answers: list[bool] | None = None,
          **config: Any) -> tuple[IncidentSession, list[SessionEvent], list[ConfirmationRequest]]:
    runbook, data = _runbook()
    asked: list[ConfirmationRequest] = []

    def confirmer(request: ConfirmationRequest) -> bool:
        asked.append(request)
        return answers.pop(0) if answers else False

    params = {k: v for k, v in info.extra["params"].items() if runbook.parameter(k)}
    values = runbook.resolve_parameters(params, {})
    settings = SessionConfig(incidents_dir=home / "incidents", kubeconfig=info.kubeconfig,
                             time_scale=SPEED, confirmer=confirmer, actor="alice@host",
                             **config)
    session = IncidentSession.open(runbook, data, values, settings)
    seen: list[SessionEvent] = []
    session.subscribe(seen.append)
    return session, seen, asked


ASSESSMENT = Assessment(Severity.P1, 20.0, 90.0, DataMigration.NONE, Stability.SINGLE_ISSUE,
                        Workaround.NONE, frozenset({"widespread_errors"}),
                        description="checkout 2.4.0 crash-loops", duration_minutes=12,
                        trend=Trend.WORSENING, detection_sources=frozenset({"monitoring_alerts"}))


def _decide(session: IncidentSession) -> None:
    session.assess(ASSESSMENT)
    session.decide(DecisionInput(Decision.ROLLBACK, "12% errors", "bob (release manager)",
                                 meeting_started_at=datetime.now(UTC)))
    assert session.rbac_precheck().ok
    session.freeze()


def test_state_after_a_restart_equals_the_state_before(drill, tmp_path: Path) -> None:
    _cluster, info = drill("bad-release", speed=SPEED)
    session, seen, _ = _open(info, tmp_path)
    _decide(session)
    for step in ("announce", "status_page"):
        session.run_step(step, operator_done=True)
    session.skip_step("assemble_team", "everyone is already in the channel")
    session.tick("severity_confirmed", note="P1 confirmed by bob")
    session.note("the payment client of 2.4.0 panics")
    live = session.snapshot()
    folder = session.folder
    session.close()

    replayed, parsed = load_state(folder, live=True)

    assert not parsed.problems
    for name in ("assessment", "decision", "targets", "checks", "check_notes", "baselines",
                 "params", "rbac", "status", "event_count", "last_seq", "severity", "drill"):
        assert getattr(replayed, name) == getattr(live, name), name
    assert {k: (v.status, v.detail, v.attempts) for k, v in replayed.steps.items()} == \
        {k: (v.status, v.detail, v.attempts) for k, v in live.steps.items()}
    assert replayed.notes == live.notes
    assert replayed.drill is True  # the drill's kubeconfig says so
    assert replayed.assessment["inputs"]["trend"] == "worsening"
    assert replayed.assessment["recommendation"]["decision"] == "ROLLBACK"
    assert replayed.steps["assemble_team"].reason == "everyone is already in the channel"
    assert replayed.targets["production/checkout"]["version"] == "2.3.1"
    kinds = [type(e).__name__ for e in seen]
    assert "NoteAdded" in kinds and "CheckRecorded" in kinds and "StepFinished" in kinds


def test_messages_name_the_release_and_lead_once_the_incident_knows_them(
        drill, tmp_path: Path) -> None:
    """`release` and `lead` left at their defaults ("the current release", "on-call
    engineer") take the version the target replaces and the decision's lead, also after a
    restart."""
    _cluster, info = drill("bad-release", speed=SPEED)
    session, _seen, _ = _open(info, tmp_path)
    announce = next(s for s in session.runbook.steps if s.id == "announce")

    def message(session: IncidentSession) -> str:
        return str(render_args(announce.args["message"], session.values))

    assert "for release the current release" in message(session)
    session.assess(ASSESSMENT)
    session.decide(DecisionInput(Decision.ROLLBACK, "12% errors", "bob (release manager)",
                                 team_lead="Alice Lee"))
    lead = "Alice Lee"
    assert message(session).splitlines()[2] == "Lead: Alice Lee"  # known at the decision
    session.freeze()
    assert message(session).splitlines()[0] == "🚨 ROLLBACK INITIATED for release 2.4.0"
    assert f"Lead: {lead}" in message(session)
    folder = session.folder
    session.close()
    runbook, data = _runbook()
    again = IncidentSession.resume(folder, runbook, data, SessionConfig(
        incidents_dir=tmp_path / "incidents", kubeconfig=info.kubeconfig, actor="alice@host"))
    try:
        assert message(again).splitlines()[0] == "🚨 ROLLBACK INITIATED for release 2.4.0"
    finally:
        again.close()


def test_danger_step_asks_for_the_deployment_name_and_a_no_changes_nothing(
        drill, kubectl, tmp_path: Path) -> None:
    _cluster, info = drill("bad-release", speed=SPEED)
    session, seen, asked = _open(info, tmp_path, answers=[False])
    _decide(session)
    for step in [s.id for s in session.runbook.steps][:7]:
        if step in ("announce", "status_page", "assemble_team"):
            session.run_step(step, operator_done=True)
        else:
            assert session.run_step(step).ok, step

    declined = session.run_step("rollout_undo")

    assert declined.detail == {"declined": True}
    request = asked[-1]
    assert request.type_to_confirm == "checkout" and request.danger
    assert "rollout undo deployment/checkout" in (request.command or "")
    assert "frozen target rev 2 (2.3.1)" in request.request
    assert "context drill" in request.where and "namespace production" in request.where
    assert session.state.step_status("rollout_undo") is StepStatus.PENDING
    assert any(isinstance(e, ConfirmationRequested) for e in seen)
    history = kubectl(info, "rollout", "history", "deployment/checkout").stdout
    assert "4" not in history.split()  # nothing rolled back
    answered = [e for e in session.journal_events() if e.type == "confirmation.answered"]
    assert answered[-1].data["answer"] is False


def test_steps_run_in_order_and_blockers_say_why(drill, tmp_path: Path) -> None:
    _cluster, info = drill("bad-release", speed=SPEED)
    session, _seen, _ = _open(info, tmp_path)
    undo = session.step("rollout_undo")
    assert "record the decision first" in (session.blocker(undo) or "")
    _decide(session)
    assert "step announce (Announce rollback) is not done yet" in (session.blocker(undo) or "")
    with pytest.raises(SessionError, match="cannot run"):
        session.run_step("rollout_undo")
    assert session.next_step().id == "announce"
    assert session.phase() is Phase.EXECUTE


def test_a_run_to_the_end_resolves_success_once_every_item_is_ticked(
        drill, kubectl, tmp_path: Path) -> None:
    _cluster, info = drill("bad-release", speed=SPEED)
    session, seen, _ = _open(info, tmp_path, answers=[True])
    _decide(session)
    while (step := session.next_step()) is not None:
        outcome = session.run_step(step.id, operator_done=True)
        assert outcome.ok, (step.id, outcome.summary)
    assert any(isinstance(e, StepProgressed) for e in seen)
    assert any(isinstance(e, StepStarted) and e.step_id == "rollout_undo" for e in seen)
    session.run_checks()
    assert session.phase() is Phase.VERIFY
    assert session.status().status is RollbackStatus.PARTIAL
    for item in session.runbook.checklist_items():
        if session.state.check_status(item.id) is CheckStatus.OPEN:
            session.tick(item.id, note="checked in the drill")
    assert session.status().status is RollbackStatus.SUCCESS
    assert session.resolve() is RollbackStatus.SUCCESS
    assert session.state.status is IncidentStatus.RESOLVED
    assert session.phase() is Phase.CLOSED
    finished = [e for e in seen if isinstance(e, StepFinished)]
    assert {e.status for e in finished} == {StepStatus.OK}
    with pytest.raises(SessionError, match="resolved"):
        session.tick("smoke_tests")


def test_stop_at_the_next_safe_point_then_abort(drill, tmp_path: Path) -> None:
    source = (REPO / "tui" / "drill" / "scenarios" / "bad-release.yaml").read_text()
    scenario = tmp_path / "slow.yaml"
    scenario.write_text(source.replace("pod_start_seconds: 3\n", "pod_start_seconds: 200\n"))
    _cluster, info = drill(str(scenario), speed=SPEED)
    session, seen, _ = _open(info, tmp_path, answers=[True])
    _decide(session)
    while (step := session.next_step()) is not None and step.id != "rollout_status":
        session.run_step(step.id, operator_done=True)
    result: dict[str, Any] = {}
    runner = threading.Thread(target=lambda: result.update(o=session.run_step("rollout_status")))
    runner.start()
    deadline = threading.Event()
    while not any(isinstance(e, StepProgressed) and e.step_id == "rollout_status" for e in seen):
        assert not deadline.wait(0.05) and runner.is_alive()

    assert session.request_stop() == "next_safe_point"
    runner.join(timeout=30)

    assert result["o"].status == StepStatus.INTERRUPTED
    events = [e.type for e in session.journal_events()]
    assert events[-3:] == ["stop.requested", "step.finished", "run.interrupted"]
    assert "a stop was requested" in (session.blocker(session.step("verify_version")) or "")
    assert session.request_stop() == "abort"


def test_follow_sees_what_the_holder_appends(drill, tmp_path: Path) -> None:
    _cluster, info = drill("bad-release", speed=SPEED)
    session, _seen, _ = _open(info, tmp_path)
    runbook, _ = _runbook()
    follower = IncidentSession.follow(session.folder, runbook,
                                      SessionConfig(incidents_dir=tmp_path / "incidents"))
    heard: list[SessionEvent] = []
    follower.subscribe(heard.append)
    assert follower.read_only
    with pytest.raises(SessionError, match="read-only"):
        follower.note("a follower cannot write")

    session.note("written by the holder")
    session.tick("severity_confirmed")
    follower.poll()

    assert [type(e) for e in heard if type(e).__name__ != "Journaled"] == [NoteAdded,
                                                                               CheckRecorded]
    assert follower.state.notes[-1].text == "written by the holder"
    assert follower.state.check_status("severity_confirmed") is CheckStatus.PASS
    assert replay(session.journal_events(), live=True).event_count == \
        follower.state.event_count
    follower.close()


def test_resumed_undo_with_visible_effect_is_marked_done_with_evidence(
        drill, kubectl, tmp_path: Path) -> None:
    _cluster, info = drill("bad-release", speed=SPEED)
    session, _seen, _ = _open(info, tmp_path, answers=[True])
    _decide(session)
    while (step := session.next_step()) is not None and step.id != "rollout_undo":
        session.run_step(step.id, operator_done=True)
    # The process "dies" right after journaling the undo's start and making the change.
    session.record("step.started", {"step_id": "rollout_undo", "title": "Deploy previous version",
                                    "action": "k8s.rollout_undo", "dry_run": False})
    assert kubectl(info, "rollout", "undo", "deployment/checkout",
                   "--to-revision=2").returncode == 0
    folder, runbook, data = session.folder, session.runbook, _runbook()[1]
    session.writer.close()  # type: ignore[union-attr]
    session.writer = None

    resumed = IncidentSession.resume(folder, runbook, data, session.config)
    assert [s.step_id for s in resumed.interrupted_steps()] == ["rollout_undo"]
    settled = resumed.settle_interrupted("rollout_undo")

    assert settled.plan is Resumption.DONE
    assert "revision 4 (2.3.1)" in settled.evidence
    assert resumed.state.step_status("rollout_undo") is StepStatus.OK
    assert resumed.state.steps["rollout_undo"].evidence == settled.evidence
    resumed.close()
