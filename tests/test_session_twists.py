"""A drill's twists in the journal: the session journals each once (by the drill's seq), tells
the operator what would reach them, survives a drill that stops answering; `rollback drill
twist` fires one in the drill of an incident a headless run opened."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conftest import REPO, rollback_argv, wait_for

from tui.adapters.journal import load_state, read_journal
from tui.domain import incident as ev
from tui.domain.comms_cadence import cadence
from tui.domain.runbook import validate_runbook
from tui.domain.timeline import describe
from tui.session.session import IncidentSession, SessionConfig


def _open(info: Any, home: Path, *, drill: bool = True) -> IncidentSession:
    path = REPO / "runbooks" / "revert-deployment.yaml"
    data = path.read_bytes()
    runbook = validate_runbook(data, str(path)).runbook
    assert runbook is not None
    params = {k: v for k, v in info.extra["params"].items() if runbook.parameter(k)}
    settings = SessionConfig(incidents_dir=home / "incidents", kubeconfig=info.kubeconfig,
                             time_scale=20, actor="alice@host", drill=drill)
    return IncidentSession.open(runbook, data, runbook.resolve_parameters(params, {}), settings)


def _twists(session: IncidentSession) -> list[dict[str, Any]]:
    return [e.data for e in read_journal(session.folder).events if e.type == ev.DRILL_TWIST]


def test_each_twist_is_journaled_once_with_its_source_and_seq(drill, tmp_path: Path) -> None:
    cluster, info = drill("bad-release")
    session = _open(info, tmp_path)
    try:
        assert session.sync_twists() == []
        cluster.twists.fire("prometheus-down", "facilitator")
        cluster.twists.fire("rbac-denies-patch", "schedule")
        first = session.sync_twists()
        assert [(t["seq"], t["event"], t["source"]) for t in first] == [
            (1, "prometheus-down", "facilitator"), (2, "rbac-denies-patch", "schedule")]
        assert session.sync_twists() == []  # nothing new: nothing journaled again
        cluster.twists.fire("good-pod-fails", "facilitator")
        assert [t["seq"] for t in session.sync_twists()] == [3]
        journaled = _twists(session)
        assert [t["seq"] for t in journaled] == [1, 2, 3]
        assert set(journaled[0]) == {"run", "seq", "event", "detail", "source", "fired_at",
                                     "scenario_seconds"}
        assert journaled[0]["detail"].startswith("the Prometheus API stops answering")
        assert [t["seq"] for t in session.state.twists] == [1, 2, 3]
        assert all("journaled_at" in t for t in session.state.twists)
    finally:
        session.close()
    # A session resumed later knows them from the journal: still once each.
    state, _ = load_state(session.folder)
    assert [t["seq"] for t in state.twists] == [1, 2, 3]
    line = describe(next(e for e in read_journal(session.folder).events
                         if e.type == ev.DRILL_TWIST)).text
    assert line.startswith("TWIST prometheus-down: the Prometheus API stops answering")


def test_a_drill_started_again_numbers_from_one_and_loses_no_twist(drill, tmp_path: Path
                                                                    ) -> None:
    from tui.drill.twists import Twists

    cluster, info = drill("bad-release")
    session = _open(info, tmp_path)
    try:
        cluster.twists.fire("prometheus-down", "facilitator")
        assert [t["seq"] for t in session.sync_twists()] == [1]
        cluster.twists = Twists(cluster)  # the drill's twists begin again, as in a new drill
        cluster.twists.fire("user-reports=1", "facilitator")
        again = session.sync_twists()
        assert [(t["seq"], t["event"]) for t in again] == [(1, "user-reports")]
        assert len({t["run"] for t in _twists(session)}) == 2
        assert session.sync_twists() == []
    finally:
        session.close()


def test_user_reports_and_a_due_update_reach_the_operator(drill, tmp_path: Path) -> None:
    cluster, info = drill("bad-release")
    session = _open(info, tmp_path)
    try:
        before = cadence(session.state, session.runbook)
        cluster.twists.fire("user-reports=2", "facilitator")
        cluster.twists.fire("status-update-due", "facilitator")
        session.sync_twists()
        warnings = session.state.warnings
        reports = [r["text"] for r in cluster.twists.reports]
        assert warnings[0].startswith("2 user reports arrived: ")
        assert all(text in warnings[0] for text in reports)
        assert "status update now" in warnings[1]
        after = cadence(session.state, session.runbook)
        assert before.due_at is not None and after.due_at is not None
        assert after.due_at < before.due_at
        assert after.due(datetime.now(UTC).timestamp())
    finally:
        session.close()


def test_a_drill_that_stops_answering_is_one_warning_not_an_error(drill, tmp_path: Path
                                                                  ) -> None:
    cluster, info = drill("bad-release")
    session = _open(info, tmp_path)
    try:
        session.sync_twists()
        cluster.stop()
        assert session.sync_twists() == []
        assert session.sync_twists() == []
        assert len([w for w in session.state.warnings if w.startswith("drill twists:")]) == 1
    finally:
        session.close()


def test_not_a_drill_incident_syncs_nothing(drill, tmp_path: Path) -> None:
    cluster, info = drill("bad-release")
    cluster.twists.fire("prometheus-down", "facilitator")
    session = _open(info, tmp_path, drill=False)
    try:
        assert session.sync_twists() == []
        assert _twists(session) == []
    finally:
        session.close()


# ---- rollback drill twist --------------------------------------------------------------------
def _rollback(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("rollback")
    argv = [str(script)] if script.is_file() else rollback_argv()
    return subprocess.run([*argv, *args], capture_output=True, text=True, timeout=timeout,
                          check=False)


def test_cli_fires_a_twist_in_the_drill_of_a_headless_incident(drill, rollback_home: Path
                                                               ) -> None:
    cluster, info = drill("bad-release")
    params = [f"-p{k}={v}" for k, v in info.extra["params"].items() if k in (
        "namespace", "deployment", "service", "to_revision", "expected_version",
        "health_url", "version_url", "prometheus_url")]
    run = _rollback("run", "revert-deployment", "--kubeconfig", info.kubeconfig, "--headless",
                    "--dry-run", "--yes", "--time-scale", "20", "--json", *params)
    incident = json.loads(run.stdout.splitlines()[0])["incident"]

    fired = _rollback("drill", "twist", incident, "user-reports=2")
    assert fired.returncode == 0, fired.stderr
    assert fired.stdout.startswith("twist #1 user-reports fired at ")
    assert [(t["seq"], t["source"]) for t in cluster.twists.fired] == [(1, "facilitator")]
    assert len(cluster.twists.reports) == 2

    unknown = _rollback("drill", "twist", incident, "meteor-strike")
    assert unknown.returncode == 2 and "unknown twist 'meteor-strike'" in unknown.stderr
    cannot = _rollback("drill", "twist", incident, "second-service-degrades")
    assert cannot.returncode == 1 and "no service besides checkout" in cannot.stderr
    missing = _rollback("drill", "twist", "20991231-000000-none", "prometheus-down")
    assert missing.returncode == 2 and "no incident '20991231-000000-none'" in missing.stderr

    cluster.stop()
    gone = _rollback("drill", "twist", incident, "prometheus-down")
    assert gone.returncode == 1 and "is the drill still running?" in gone.stderr
    for result in (unknown, cannot, missing, gone):
        assert "Traceback" not in result.stderr

    listed = _rollback("drill", "twist", "--list")
    assert listed.returncode == 0
    assert [line.split()[0] for line in listed.stdout.splitlines()] == [
        "second-service-degrades[=SERVICE]", "prometheus-down", "rbac-denies-patch",
        "user-reports[=N]", "status-update-due", "good-pod-fails"]


def test_headless_run_journals_the_twists_the_scenario_schedules(drill, tmp_path: Path,
                                                                rollback_home: Path) -> None:
    import yaml

    scenario = yaml.safe_load((REPO / "tui/drill/scenarios/bad-release.yaml").read_text())
    scenario["twists"] = [{"at": "0s", "event": "user-reports=2"},
                          {"at": "0s", "event": "status-update-due"}]
    path = tmp_path / "twisted.yaml"
    path.write_text(yaml.safe_dump(scenario))
    cluster, info = drill(str(path))
    wait_for("the scheduled twists", lambda: len(cluster.twists.fired) == 2)
    params = [f"-p{k}={v}" for k, v in info.extra["params"].items() if k in (
        "namespace", "deployment", "service", "to_revision", "expected_version",
        "health_url", "version_url", "prometheus_url")]
    run = _rollback("run", "revert-deployment", "--kubeconfig", info.kubeconfig, "--headless",
                    "--dry-run", "--yes", "--time-scale", "20", *params)
    assert run.returncode == 0, run.stderr
    assert "twist #1 user-reports (schedule): 2 user reports arrive" in run.stdout
    assert "warning: 2 user reports arrived: " in run.stdout
    assert "twist #2 status-update-due (schedule)" in run.stdout
    folder = next((rollback_home / "data" / "incidents").iterdir())
    state, _ = load_state(folder)
    assert [(t["seq"], t["source"]) for t in state.twists] == [(1, "schedule"), (2, "schedule")]


def test_cli_refuses_an_incident_that_is_not_a_drill(tmp_path: Path, rollback_home: Path
                                                    ) -> None:
    path = REPO / "runbooks" / "revert-deployment.yaml"
    data = path.read_bytes()
    runbook = validate_runbook(data, str(path)).runbook
    assert runbook is not None
    values = runbook.resolve_parameters({"namespace": "production", "deployment": "checkout",
                                         "service": "checkout", "expected_version": "2.3.1"},
                                        {})
    session = IncidentSession.open(runbook, data, values, SessionConfig(
        incidents_dir=rollback_home / "data" / "incidents", actor="alice@host"))
    session.close()
    result = _rollback("drill", "twist", session.incident_id, "prometheus-down")
    assert result.returncode == 2, result.stderr
    assert f"incident {session.incident_id} is not a drill" in result.stderr
    assert "Traceback" not in result.stderr


def test_drill_scenario_argument_still_works_beside_the_subcommand(run_cli) -> None:
    result = run_cli("drill", "nonexistent-scenario", "--serve")
    assert result.returncode == 2 and "no scenario 'nonexistent-scenario'" in result.stderr
