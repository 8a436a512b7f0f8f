"""A drill played right and played wrong through the session, over real HTTP against the drill
cluster (kubectl in another process for the wrong play), then scored from the journal; the
`rollback drill score|history` commands and the drill-report export on those incidents.

The plays are tests/drill_play.py's; these tests look at what the plays leave behind: the
journal's drill events, the cluster's record, and the commands that read them."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from conftest import REPO
from drill_play import (
    SPEED,
    Play,
    kubectl_outside,
    open_session,
    play_incident,
    right_play,
    score_folder,
)
from markdown_it import MarkdownIt

from tui.adapters.journal import load_state, read_journal
from tui.app.paths import resolve_paths
from tui.domain import incident as ev
from tui.domain.assessment import Decision
from tui.domain.runbook import validate_runbook
from tui.session.session import IncidentSession, SessionConfig


def _undo_outside(info: Any) -> None:
    kubectl_outside(info, "rollout", "undo", "deployment/checkout")


# Undo typed in another pane, no update sent, nothing verified.
WRONG = Play(Decision.ROLLBACK, "revert-deployment", "revert-deployment", run_steps=False,
             communicate=False, verify=False, outside=_undo_outside)


def test_a_drill_played_right_journals_its_truth_and_the_clusters_record(drill) -> None:
    cluster, info = drill("bad-release", speed=SPEED)
    folder = play_incident("bad-release", right_play("bad-release"), info,
                           resolve_paths().incidents_dir)
    state, _ = load_state(folder)
    assert state.drill_scenario["scenario"] == "bad-release"
    # The truth as journaled: the scenario's, each target's image and version filled in.
    assert state.drill_scenario["truth"] == cluster.scenario.truth
    assert state.drill_scenario["truth"]["targets"][0]["image"].endswith("checkout:2.3.1")
    assert state.drill_record is not None
    assert all(c["user_agent"].startswith("rollback-tui") for c in
               state.drill_record["changes"]), state.drill_record["changes"]
    assert state.drill_record["deployments"]["production/checkout"]["version"] == "2.3.1"
    types = [e.type for e in read_journal(folder).events]
    assert types.index(ev.DRILL_STARTED) == types.index(ev.INCIDENT_OPENED) + 1
    assert types.index(ev.DRILL_RECORD) == types.index(ev.INCIDENT_RESOLVED) - 1
    assert score_folder(folder).anti_patterns == ()


def test_a_drill_played_wrong_is_flagged_with_the_kubectl_evidence(drill) -> None:
    _cluster, info = drill("bad-release", speed=SPEED)
    card = score_folder(play_incident("bad-release", WRONG, info,
                                      resolve_paths().incidents_dir))
    found = {a.id: a for a in card.anti_patterns}
    assert {"improvise", "skip-communication", "no-verification"} <= set(found)
    improvised = [e.text for e in found["improvise"].evidence]
    assert len(improvised) == 1
    assert improvised[0].startswith("kubectl PATCH deployments production/checkout at ")
    assert found["improvise"].evidence[0].source == "cluster"
    assert "incomplete-rollback" not in found  # kubectl did roll back to 2.3.1
    assert card.score < 50


def test_a_drill_that_does_not_answer_is_a_warning_not_an_error(drill) -> None:
    cluster, info = drill("bad-release", speed=SPEED)
    session = open_session("revert-deployment", info, resolve_paths().incidents_dir)
    cluster.stop()
    session.resolve()
    state = session.snapshot()
    session.close()
    assert state.drill_record is None
    assert any("record of changes is not journaled" in w for w in state.warnings)


def test_score_and_history_commands(drill, run_cli) -> None:
    cluster, info = drill("bad-release", speed=SPEED)
    incidents = resolve_paths().incidents_dir
    right = play_incident("bad-release", right_play("bad-release"), info, incidents,
                          actor="alice@host")
    _cluster, info = drill("bad-release", speed=SPEED)
    wrong = play_incident("bad-release", WRONG, info, incidents, actor="carol@host")

    shown = run_cli("drill", "score", right.name)
    assert shown.returncode == 0, shown.stderr
    assert "Anti-patterns\n  none" in shown.stdout and "Time to decision" in shown.stdout
    as_json = json.loads(run_cli("drill", "score", wrong.name, "--json").stdout)
    assert {"improvise", "skip-communication", "no-verification"} <= \
        {a["id"] for a in as_json["anti_patterns"]}
    history = run_cli("drill", "history", "--json")
    drills = json.loads(history.stdout)["drills"]
    assert [d["operator"] for d in drills] == ["alice@host", "carol@host"]
    assert json.loads(history.stdout)["trends"]["score"]["best"] == drills[0]["score"]
    mine = run_cli("drill", "history", "--operator", "carol")
    assert mine.returncode == 0 and "alice" not in mine.stdout and "carol@host" in mine.stdout
    assert "Trend of carol" in mine.stdout

    report = run_cli("export", wrong.name, "--what", "drill-report", "--format", "md")
    assert report.returncode == 0, report.stderr
    tokens = MarkdownIt().parse(report.stdout)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert {"Measures", "Anti-patterns", "Ground truth", "What to practise"} <= set(headings)
    assert f"Incident {wrong.name} · exported" in report.stdout
    html = run_cli("export", wrong.name, "--what", "drill-report", "--format", "html")
    assert html.returncode == 0, html.stderr
    texts = _html_texts(html.stdout)
    assert any(t.startswith("kubectl PATCH deployments production/checkout at ") for t in texts)
    assert any(t.startswith("Checkout is failing for everyone") for t in texts), texts
    assert " ".join(cluster.scenario.truth["why"].split()) in " ".join(" ".join(texts).split())


def test_the_score_command_refuses_what_it_cannot_score(drill, run_cli, tmp_path: Path) -> None:
    cluster, info = drill("bad-release", speed=SPEED)
    session = open_session("revert-deployment", info, resolve_paths().incidents_dir)
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
