"""A drill played right and played wrong through the session, over real HTTP against the drill
cluster (kubectl in another process for the wrong play), then scored from the journal; the
`rollback drill score|history` commands and the drill-report export on those incidents."""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO
from markdown_it import MarkdownIt

from tui.adapters.journal import load_state, read_journal
from tui.app.paths import resolve_paths
from tui.domain import incident as ev
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
from tui.domain.runbook import validate_runbook
from tui.domain.status import CheckStatus
from tui.session.session import DecisionInput, IncidentSession, SessionConfig

SPEED = 20.0
TRUTH = {"decision": "ROLLBACK", "strategy": "revert-deployment", "severity": "P1",
         "targets": [{"namespace": "production", "deployment": "checkout", "revision": 2,
                      "version": "2.3.1"}],
         "restore_within": "15m", "why": "P1, widespread errors, a healthy previous revision",
         "practise": ["spotting the crash loop in the pod panel"]}
ASSESSMENT = Assessment(Severity.P1, 20.0, 90.0, DataMigration.NONE, Stability.SINGLE_ISSUE,
                        Workaround.NONE, frozenset({"widespread_errors"}),
                        description="checkout 2.4.0 crash-loops", duration_minutes=5,
                        trend=Trend.WORSENING, detection_sources=frozenset({"monitoring_alerts"}))


@pytest.fixture
def truth_drill(tmp_path: Path):
    """The bad-release drill with a ground truth (whatever the shipped file holds)."""
    from tui.drill.cluster import DrillCluster
    from tui.drill.scenario import find_scenario

    clusters = []

    def start() -> Any:
        scenario = find_scenario("bad-release")
        scenario = dataclasses.replace(scenario, data={**scenario.data, "truth": TRUTH})
        cluster = DrillCluster(scenario, folder=tmp_path / f"drill-{len(clusters)}", speed=SPEED)
        clusters.append(cluster)
        return cluster, cluster.start()

    yield start
    for cluster in clusters:
        cluster.stop()


def _open(info: Any, actor: str = "alice@host") -> IncidentSession:
    path = REPO / "runbooks" / "revert-deployment.yaml"
    data = path.read_bytes()
    runbook = validate_runbook(data, str(path)).runbook
    assert runbook is not None
    params = {k: v for k, v in info.extra["params"].items() if runbook.parameter(k)}
    settings = SessionConfig(incidents_dir=resolve_paths().incidents_dir,
                             kubeconfig=info.kubeconfig, time_scale=SPEED,
                             confirmer=lambda _request: True, actor=actor)
    return IncidentSession.open(runbook, data, runbook.resolve_parameters(params, {}), settings)


def _score(session: IncidentSession) -> Any:
    events = read_journal(session.folder).events
    state, _ = load_state(session.folder, live=True)
    return score_drill(state, events, session.runbook), state


def play_right(info: Any) -> IncidentSession:
    """Assess, decide ROLLBACK with revert-deployment, run every step, update, verify."""
    session = _open(info)
    session.assess(ASSESSMENT)
    session.decide(DecisionInput(Decision.ROLLBACK, "12% errors", "bob (release manager)",
                                 strategy="revert-deployment",
                                 meeting_started_at=datetime.now(UTC)))
    assert session.rbac_precheck().ok
    session.freeze()
    session.mark_sent("status-update", "Rolling back checkout to 2.3.1", "#incident")
    while (step := session.next_step()) is not None:
        outcome = session.run_step(step.id, operator_done=True)
        assert outcome.ok, (step.id, outcome.summary)
    session.run_checks()
    for item in session.runbook.checklist_items():
        if session.state.check_status(item.id) is CheckStatus.OPEN:
            session.tick(item.id, note="checked in the drill")
    session.resolve()
    return session


def play_wrong(info: Any, kubectl: Any) -> IncidentSession:
    """Wait, roll back with kubectl in another process, no update, resolve unverified."""
    session = _open(info, actor="carol@host")
    time.sleep(1.0)  # 20 s of scenario time with nothing done
    undo = kubectl(info, "rollout", "undo", "deployment/checkout")
    assert undo.returncode == 0, undo.stderr
    session.resolve()
    return session


def test_a_drill_played_right_scores_high_with_no_anti_pattern(truth_drill) -> None:
    cluster, info = truth_drill()
    session = play_right(info)
    card, state = _score(session)
    session.close()

    assert state.drill_scenario["scenario"] == "bad-release"
    # The truth as journaled: the scenario's, each target's image and version filled in.
    assert state.drill_scenario["truth"] == cluster.scenario.truth
    assert state.drill_scenario["truth"]["targets"][0]["image"].endswith("checkout:2.3.1")
    assert state.drill_record is not None
    assert all(c["user_agent"].startswith("rollback-tui") for c in
               state.drill_record["changes"]), state.drill_record["changes"]
    assert state.drill_record["deployments"]["production/checkout"]["version"] == "2.3.1"
    assert card.anti_patterns == (), card.anti_patterns
    assert card.score >= 85, [(m.id, m.verdict, m.value) for m in card.measures]
    print("right play:", card.score, [(m.id, m.value, m.points) for m in card.measures])
    types = [e.type for e in read_journal(session.folder).events]
    assert types.index(ev.DRILL_STARTED) == types.index(ev.INCIDENT_OPENED) + 1
    assert types.index(ev.DRILL_RECORD) == types.index(ev.INCIDENT_RESOLVED) - 1


def test_a_drill_played_wrong_is_flagged_with_the_kubectl_evidence(truth_drill, kubectl) -> None:
    _cluster, info = truth_drill()
    session = play_wrong(info, kubectl)
    card, _state = _score(session)
    session.close()

    found = {a.id: a for a in card.anti_patterns}
    assert {"improvise", "skip-communication", "no-verification"} <= set(found)
    improvised = [e.text for e in found["improvise"].evidence]
    assert len(improvised) == 1
    assert improvised[0].startswith("kubectl PATCH deployments production/checkout at ")
    assert found["improvise"].evidence[0].source == "cluster"
    assert "incomplete-rollback" not in found  # kubectl did roll back to 2.3.1
    assert card.score < 50
    print("wrong play:", card.score, sorted(found))


def test_a_drill_that_does_not_answer_is_a_warning_not_an_error(drill, tmp_path: Path) -> None:
    cluster, info = drill("bad-release", speed=SPEED)
    session = _open(info)
    cluster.stop()
    session.resolve()
    state = session.snapshot()
    session.close()
    assert state.drill_record is None
    assert any("record of changes is not journaled" in w for w in state.warnings)


def test_score_and_history_commands(truth_drill, kubectl, run_cli) -> None:
    _cluster, info = truth_drill()
    right = play_right(info)
    right.close()
    _cluster, info = truth_drill()
    wrong = play_wrong(info, kubectl)
    wrong.close()

    shown = run_cli("drill", "score", right.folder.name)
    assert shown.returncode == 0, shown.stderr
    assert "Anti-patterns\n  none" in shown.stdout and "Time to decision" in shown.stdout
    as_json = json.loads(run_cli("drill", "score", wrong.folder.name, "--json").stdout)
    assert {"improvise", "skip-communication", "no-verification"} <= \
        {a["id"] for a in as_json["anti_patterns"]}
    history = run_cli("drill", "history", "--json")
    drills = json.loads(history.stdout)["drills"]
    assert [d["operator"] for d in drills] == ["alice@host", "carol@host"]
    assert json.loads(history.stdout)["trends"]["score"]["best"] == drills[0]["score"]
    mine = run_cli("drill", "history", "--operator", "carol")
    assert mine.returncode == 0 and "alice" not in mine.stdout and "carol@host" in mine.stdout
    assert "Trend of carol" in mine.stdout

    report = run_cli("export", wrong.folder.name, "--what", "drill-report", "--format", "md")
    assert report.returncode == 0, report.stderr
    tokens = MarkdownIt().parse(report.stdout)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert {"Measures", "Anti-patterns", "Ground truth", "What to practise"} <= set(headings)
    assert f"Incident {wrong.folder.name} · exported" in report.stdout
    html = run_cli("export", wrong.folder.name, "--what", "drill-report", "--format", "html")
    assert html.returncode == 0, html.stderr
    texts = _html_texts(html.stdout)
    assert any(t.startswith("kubectl PATCH deployments production/checkout at ") for t in texts)
    assert "P1, widespread errors, a healthy previous revision" in texts


def test_the_score_command_refuses_what_it_cannot_score(drill, run_cli, tmp_path: Path) -> None:
    cluster, info = drill("bad-release", speed=SPEED)
    session = _open(info)
    folder = session.folder
    session.close()
    cluster.stop()
    gone = run_cli("drill", "score", folder.name)
    assert gone.returncode == 1
    assert "no longer answers" in gone.stderr and folder.name in gone.stderr

    path = REPO / "runbooks" / "revert-deployment.yaml"
    runbook = validate_runbook(path.read_bytes(), str(path)).runbook
    real = IncidentSession.open(runbook, path.read_bytes(), runbook.resolve_parameters(
        {"namespace": "production", "deployment": "checkout", "expected_version": "2.3.1"},
        {}),
        SessionConfig(incidents_dir=resolve_paths().incidents_dir, actor="dave@host"))
    real.close()
    refused = run_cli("drill", "score", real.folder.name)
    assert refused.returncode == 1 and "is not a drill" in refused.stderr


def _html_texts(html: str) -> list[str]:
    class Texts(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []

        def handle_data(self, data: str) -> None:
            if data.strip():
                self.parts.append(data.strip())

    parser = Texts()
    parser.feed(html)
    return parser.parts
