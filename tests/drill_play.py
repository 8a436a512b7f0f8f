"""Playing a drill scenario through the incident session, right or wrong, as a trainee would.

The session is driven as the TUI drives it (assess, decide, run each step with the operator's
confirmation, post status updates, verify, resolve) against the scenario's drill cluster over
real HTTP; what is done "outside the runbook" is done with real kubectl in a subprocess, as
from another terminal pane.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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
from tui.domain.drill_score import score_drill
from tui.domain.drill_scorecard import Scorecard
from tui.domain.runbook import validate_runbook
from tui.domain.status import CheckStatus
from tui.drill.scenario import find_scenario
from tui.session.session import DecisionInput, IncidentSession, SessionConfig

SPEED = 20.0


@dataclass
class Play:
    """How the trainee plays: which call, which runbook, and which good habits they keep."""

    decision: Decision
    runbook: str
    strategy: str = ""
    params: dict[str, str] = field(default_factory=dict)  # over the drill's own
    run_steps: bool = True
    communicate: bool = True
    verify: bool = True
    detected_minutes_ago: float = 3.0  # scenario minutes between detection and the decision
    outside: Callable[[Any], None] | None = None  # done in "another pane" (gets the drill info)
    settle: float = 0.0  # seconds to wait before resolving (e.g. for a GitOps sync to act)


def right_play(scenario_id: str) -> Play:
    """What the scenario's ground truth says is right, played with every good habit."""
    scenario = find_scenario(scenario_id)
    truth = scenario.data["truth"]
    decision = Decision(truth["decision"])
    rollback = decision is Decision.ROLLBACK
    return Play(decision, str(scenario.data.get("runbook") or "revert-deployment"),
                strategy=str(truth.get("strategy") or ""), run_steps=rollback, verify=rollback)


def _assessment(truth: dict[str, Any], decision: Decision) -> Assessment:
    severity = Severity(truth.get("severity", "P1"))
    rollback = decision is Decision.ROLLBACK
    return Assessment(severity, 25.0 if rollback else 2.0, 90.0 if rollback else 10.0,
                      DataMigration.NONE if rollback else DataMigration.IRREVERSIBLE,
                      Stability.SINGLE_ISSUE, Workaround.NONE,
                      frozenset({"widespread_errors"}) if rollback else frozenset(),
                      description=str(truth.get("why", ""))[:200], duration_minutes=10,
                      trend=Trend.STABLE, detection_sources=frozenset({"monitoring_alerts"}))


def kubectl_outside(info: Any, *args: str) -> subprocess.CompletedProcess[str]:
    """kubectl from another pane: its own process, the drill's kubeconfig, no rollback-tui."""
    return subprocess.run(
        ["/usr/bin/kubectl", "--cache-dir", info.extra["kubectl_cache_dir"], *args],
        capture_output=True, text=True, timeout=60, check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path(info.kubeconfig).parent),
             "KUBECONFIG": info.kubeconfig})


def open_session(runbook_id: str, info: Any, incidents_dir: Path, *, actor: str = "trainee@drill",
                 params: dict[str, str] | None = None) -> IncidentSession:
    """An incident on the drill `info` describes, with the runbook's parameters taken from the
    drill's (`params` over them), confirmed by the operator as the TUI would."""
    path = REPO / "runbooks" / f"{runbook_id}.yaml"
    data = path.read_bytes()
    runbook = validate_runbook(data, str(path)).runbook
    assert runbook is not None, path
    drill_values = {**info.extra["params"], **(params or {})}
    values = runbook.resolve_parameters(
        {k: v for k, v in drill_values.items() if runbook.parameter(k)}, {})
    config = SessionConfig(incidents_dir=incidents_dir, kubeconfig=info.kubeconfig,
                           time_scale=SPEED, confirmer=lambda _request: True, actor=actor,
                           drill=True)
    return IncidentSession.open(runbook, data, values, config)


def play_incident(scenario_id: str, how: Play, info: Any, incidents_dir: Path, *,
                  actor: str = "trainee@drill") -> Path:
    """Play the drill whose cluster `info` describes; returns the resolved incident's folder."""
    truth = find_scenario(scenario_id).data.get("truth") or {}
    session = open_session(how.runbook, info, incidents_dir, actor=actor, params=how.params)
    runbook = session.runbook
    try:
        session.assess(_assessment(truth, how.decision))
        now = datetime.now(UTC)
        # Before the drill started, time is the synthesized history's: wall time.
        detected = now - timedelta(minutes=how.detected_minutes_ago)
        session.decide(DecisionInput(
            how.decision, "the drill's symptoms", "rm@drill (release manager)",
            strategy=how.strategy, detected_at=detected, meeting_started_at=detected))
        if how.communicate:
            _post_update(session)
        if how.outside is not None:
            how.outside(info)
        if how.run_steps:
            assert session.rbac_precheck().ok
            session.freeze()
            session.run_gates()
            while (step := session.next_step()) is not None:
                outcome = session.run_step(step.id, operator_done=True)
                if not outcome.ok:
                    break
        if how.communicate:
            _post_update(session)
        if how.verify:
            if how.run_steps and session.next_step() is None:
                session.run_checks()
            for item in runbook.checklist_items():
                if not item.automatic and session.state.check_status(item.id) is CheckStatus.OPEN:
                    session.tick(item.id, note="checked in the drill")
        time.sleep(how.settle)
        if session.state.running_step is None:
            session.resolve()
    finally:
        session.close()
    return session.folder


def score_folder(folder: Path) -> Scorecard:
    """The scorecard of an incident, from its journal alone (as `rollback drill score`)."""
    state, parsed = load_state(folder)
    path = REPO / "runbooks" / f"{state.runbook_id}.yaml"
    return score_drill(state, parsed.events,
                       validate_runbook(path.read_bytes(), str(path)).runbook)


def play(scenario_id: str, how: Play, info: Any, home: Path) -> Scorecard:
    """Play the drill and score it."""
    return score_folder(play_incident(scenario_id, how, info, home / "incidents"))


def _post_update(session: IncidentSession) -> None:
    draft = session.draft("status-update")
    session.mark_sent("status-update", draft.text, "#incidents")

