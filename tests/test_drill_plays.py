"""Every scenario played right scores high; played wrong, the right anti-patterns are flagged
with the evidence that triggered them (the scenario's lesson, not just any mistake).

Each play runs the scenario's drill cluster at speed 20 and drives the incident session as the
TUI does (tests/drill_play.py); changes "outside the runbook" are made with real kubectl.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import REQUIRE_REAL, require_tool
from drill_play import Play, kubectl_outside, play, right_play

from tui.domain.assessment import Decision
from tui.domain.drill_scorecard import Scorecard
from tui.drill import database

HIGH = 85  # a right play, with every good habit, scores at least this
ROLLBACK, FIX_FORWARD = Decision.ROLLBACK, Decision.FIX_FORWARD


def _summary(card: Scorecard) -> str:
    measures = "; ".join(f"{m.id} {m.verdict} {m.points}/{m.max_points} {m.value}"
                         for m in card.measures)
    found = "; ".join(f"{a.id}: {[e.text for e in a.evidence]}" for a in card.anti_patterns)
    return f"score {card.score}: {measures} | anti-patterns: {found or 'none'}"


def _require_postgres(scenario: str) -> None:
    if scenario == "bad-migration":
        require_tool("pg_restore")
        if database.server_bin() is None:
            message = "PostgreSQL's server binaries (initdb, pg_ctl) are not installed"
            if REQUIRE_REAL:
                pytest.fail(f"{message}, and ROLLBACK_REQUIRE_REAL=1 requires them")
            pytest.skip(message)


SCENARIOS = ("bad-release", "error-spike", "stuck-rollout", "paused-rollout", "blue-green",
             "bad-flag", "bad-migration", "full-release", "irreversible-migration", "minor-p3",
             "gitops", "cascade")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_played_right_it_scores_high_with_no_anti_pattern(
        scenario: str, drill: Any, tmp_path: Path) -> None:
    _require_postgres(scenario)
    _cluster, info = drill(scenario, speed=20)
    how = right_play(scenario)
    card = play(scenario, how, info, tmp_path)
    assert card.finished and card.scenario_id == scenario
    assert card.anti_patterns == (), _summary(card)
    assert card.score >= HIGH, _summary(card)
    assert card.measure("decision").verdict == "met", _summary(card)
    if how.decision is ROLLBACK:
        assert card.measure("strategy").verdict == "met", _summary(card)
        assert card.measure("target").verdict == "met", _summary(card)


def _undo_outside(info: Any) -> None:
    kubectl_outside(info, "rollout", "undo", f"deployment/{info.deployment}")


def _resume_outside(info: Any) -> None:
    kubectl_outside(info, "rollout", "resume", f"deployment/{info.deployment}")


# scenario -> (the wrong play, the anti-patterns it must show, a text one evidence line holds)
WRONG: dict[str, tuple[Play, set[str], str]] = {
    # Undo typed in another pane, late, no update sent, nothing verified.
    "bad-release": (Play(ROLLBACK, "revert-deployment", "revert-deployment", run_steps=False,
                         communicate=False, verify=False, detected_minutes_ago=35,
                         outside=_undo_outside),
                    {"improvise", "hesitate", "skip-communication", "no-verification"},
                    "kubectl"),
    # The pods look healthy: the trainee waits 40 minutes before trusting the error rate.
    "error-spike": (Play(ROLLBACK, "revert-deployment", "revert-deployment",
                         detected_minutes_ago=35), {"hesitate"}, "the truth is ROLLBACK"),
    # Rolled back, then resolved without a single check.
    "stuck-rollout": (Play(ROLLBACK, "revert-deployment", "revert-deployment", run_steps=False,
                           verify=False, outside=_undo_outside),
                      {"improvise", "no-verification"}, "at resolve"),
    # Resumed by hand instead of rolled back: the bad release finishes rolling out.
    "paused-rollout": (Play(ROLLBACK, "revert-deployment", "revert-deployment", run_steps=False,
                            outside=_resume_outside, settle=2.0),
                       {"improvise", "incomplete-rollback"}, "runs 2.6.0"),
    # The switchback declared done without switching, and closed without checking.
    "blue-green": (Play(ROLLBACK, "blue-green-switchback", "blue-green-switchback",
                        run_steps=False, verify=False),
                   {"incomplete-rollback", "no-verification"}, "still selects"),
    # A redeploy for a flag-gated fault: the flag stays on, the deployment should not move.
    "bad-flag": (Play(ROLLBACK, "revert-deployment", "revert-deployment",
                      params={"expected_version": "2.3.1"}),
                 {"incomplete-rollback"}, "flag new-checkout"),
    # The app rolled back by hand around the database, its migration left in place.
    "bad-migration": (Play(ROLLBACK, "revert-deployment", "revert-deployment", run_steps=False,
                           communicate=False, outside=_undo_outside),
                      {"improvise", "skip-communication"}, "kubectl"),
    # Only checkout reverted: the worker keeps 2.4.0 and the flag stays on.
    "full-release": (Play(ROLLBACK, "revert-deployment", "revert-deployment",
                          params={"to_revision": "0"}),
                     {"incomplete-rollback"}, "checkout-worker"),
    # A rollback over an irreversible migration (the truth: fix forward).
    "irreversible-migration": (Play(ROLLBACK, "revert-deployment", "revert-deployment"),
                               {"incomplete-rollback"}, "leave it untouched"),
    "minor-p3": (Play(ROLLBACK, "revert-deployment", "revert-deployment"),
                 {"incomplete-rollback"}, "leave it untouched"),
    # kubectl-style undo on a self-healing GitOps app: Argo CD puts 2.4.0 back.
    "gitops": (Play(ROLLBACK, "revert-deployment", "revert-deployment", settle=4.0),
               {"incomplete-rollback"}, "runs 2.4.0"),
    # The symptom rolled back instead of the cause.
    "cascade": (Play(ROLLBACK, "revert-deployment", "revert-deployment",
                     params={"deployment": "checkout", "service": "checkout",
                             "expected_version": "2.3.0"}),
                {"incomplete-rollback"}, "payments"),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_played_wrong_the_lessons_anti_patterns_are_flagged_with_evidence(
        scenario: str, drill: Any, tmp_path: Path) -> None:
    _require_postgres(scenario)
    how, expected, clue = WRONG[scenario]
    _cluster, info = drill(scenario, speed=20)
    card = play(scenario, how, info, tmp_path)
    found = {a.id for a in card.anti_patterns}
    assert expected <= found, _summary(card)
    evidence = [e.text for a in card.anti_patterns if a.id in expected for e in a.evidence]
    assert all(a.evidence for a in card.anti_patterns), _summary(card)
    assert any(clue in text for text in evidence), _summary(card)
    assert card.score < HIGH, _summary(card)
    if scenario in ("irreversible-migration", "minor-p3"):
        assert card.measure("decision").verdict == "missed", _summary(card)
    if "improvise" in expected:
        improvised = next(a for a in card.anti_patterns if a.id == "improvise")
        assert any("kubectl" in e.text and e.source == "cluster" for e in improvised.evidence)
