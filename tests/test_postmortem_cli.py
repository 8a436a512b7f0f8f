"""`rollback incidents postmortem …` and the deadlines in `rollback incidents list`, as real
processes on a resolved incident whose journal places the resolution before the real now;
and the list's deadlines in-process at fixed moments."""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from postmortem_incident import resolution_epoch, write_incident
from widgets_scenario import INCIDENT_ID

from tui.adapters.journal import read_journal
from tui.app.commands_incidents import cmd_list

ACTOR = "carol@desk"


def _resolved_hours_ago(home: Path, hours: float, **kwargs: Any) -> Path:
    """The incident, resolved `hours` before now; the settings journal `ACTOR`."""
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.yaml").write_text(f"actor: {ACTOR}\n")
    return write_incident(home, shift=time.time() - hours * 3600 - resolution_epoch(),
                          **kwargs)


def _postmortem(run_cli: Any, *args: str, stdin: str | None = None) -> Any:
    return run_cli("incidents", "postmortem", INCIDENT_ID, *args, input=stdin)


CHANGES: list[tuple[tuple[str, ...], str, dict[str, Any], str]] = [
    (("why", "The pool was exhausted"), "postmortem.updated",
     {"section": "five_whys", "value": ["The pool was exhausted"]}, "why 1 added"),
    (("cause", "technology", "No contract test"), "postmortem.updated",
     {"section": "fishbone", "value": {"technology": ["No contract test"]}},
     "technology cause added"),
    (("lesson", "went-well", "Rolled back in 4 minutes"), "postmortem.updated",
     {"section": "went_well", "value": ["Rolled back in 4 minutes"]}, "lesson 1 added"),
    (("lesson", "to-improve", "Alert fired late"), "postmortem.updated",
     {"section": "to_improve", "value": ["Alert fired late"]}, "lesson 1 added"),
    (("action", "Add a contract test", "--owner", "bob", "--due", "2026-12-04"),
     "postmortem.updated", {"section": "action_items", "value": [
         {"text": "Add a contract test", "owner": "bob", "due": "2026-12-04", "done": False}]},
     "action item 1 added"),
    (("prevention", "Enhanced pre-release testing"), "postmortem.updated",
     {"section": "prevention", "value": ["Enhanced pre-release testing"]},
     "prevention measure 1 added"),
    (("criterion", "code-review"), "postmortem.updated",
     {"section": "re_release", "value": {"code_review": True}}, "code_review ticked"),
    (("set", "root-cause", "No query review"), "postmortem.updated",
     {"section": "root_cause", "value": "No query review"}, "root_cause written"),
    (("tick", "incident_report", "--note", "in the wiki"), "check.recorded",
     {"item_id": "incident_report", "status": "pass", "note": "in the wiki"},
     "incident_report ticked"),
]


@pytest.mark.parametrize(("args", "kind", "data", "said"), CHANGES,
                         ids=[" ".join(c[0][:2]) for c in CHANGES])
def test_each_change_is_journaled_as_the_actor(run_cli: Any, rollback_home: Path,
                                               args: tuple[str, ...], kind: str,
                                               data: dict[str, Any], said: str) -> None:
    folder = _resolved_hours_ago(rollback_home, 2.5)
    before = len(read_journal(folder).events)
    result = _postmortem(run_cli, *args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"{INCIDENT_ID}: {said}"
    added = [e for e in read_journal(folder).events[before:] if e.type != "journal.sealed"]
    assert [(e.type, e.actor, e.data) for e in added] == [(kind, ACTOR, data)]


def test_a_record_written_step_by_step_then_shown(run_cli: Any, rollback_home: Path) -> None:
    folder = _resolved_hours_ago(rollback_home, 2.5)
    for args in (("why", "pool exhausted"), ("why", "excessive queries"),
                 ("why", "N+1 not caught in review"),
                 ("action", "query review", "--owner", "carol", "--due", "2026-12-08"),
                 ("action", "contract test", "--owner", "bob", "--due", "2020-01-01"),
                 ("action-done", "1"), ("remove", "why", "2"),
                 ("cause", "people", "handoff"), ("remove", "cause", "people", "1"),
                 ("lesson", "went-well", "fast"), ("remove", "lesson", "went-well", "1"),
                 ("criterion", "new_tests"), ("criterion", "new_tests", "--uncheck")):
        result = _postmortem(run_cli, *args)
        assert result.returncode == 0, (args, result.stderr)
    written = _postmortem(run_cli, "set", "issue-description", "-",
                          stdin="2.4.0's payment client\ntimes out under load\n")
    assert written.returncode == 0, written.stderr
    shown = _postmortem(run_cli)
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    assert "record DRAFT" in text
    assert "deadlines: report due in 21h (by " in text and "postmortem due in 45h" in text
    assert "  Issue description: 2.4.0's payment client\n    times out under load\n" in text
    assert "  Why? pool exhausted\n  Root Cause: N+1 not caught in review\n" in text
    assert "  1. ✓ query review — owner carol — due 2026-12-08 (done)" in text
    assert "  2. ◌ contract test — owner bob — due 2020-01-01 OVERDUE" in text
    assert "Re-release criteria (0 of 8)" in text
    record = json.loads(_postmortem(run_cli, "--json").stdout)
    assert record["record"]["five_whys"] == ["pool exhausted", "N+1 not caught in review"]
    assert record["record"]["fishbone"] == {"people": []}
    assert record["record"]["went_well"] == []
    assert record["record"]["re_release"] == {"new_tests": False}
    assert [d["state"] for d in record["deadlines"]] == ["due", "due"]
    assert record["missing_for_completion"] == []
    completed = _postmortem(run_cli, "complete")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[1] == "report due in 21h · postmortem done"
    assert [e.type for e in read_journal(folder).events[-2:]] == ["postmortem.updated",
                                                                  "journal.sealed"]


BAD: list[tuple[tuple[str, ...], str]] = [
    (("cause", "weather", "rain"),
     "no fishbone category 'weather' (one of: people, process, technology, environment)"),
    (("lesson", "meh", "x"), "no kind of lesson 'meh' (one of: went-well, to-improve)"),
    (("criterion", "vibes"), ("(one of: root-cause-fixed, new-tests, code-review, "
     "staging-tested, team-confident, stakeholders-informed, monitoring-enhanced, "
     "rollback-plan-updated)")),
    (("set", "summary", "x"), ("(one of: issue-description, root-cause, user-impact, "
     "detection, response, resolution)")),
    (("action", "x", "--owner", "bob", "--due", "2026-13-01"),
     "due date '2026-13-01' is not a date: use YYYY-MM-DD"),
    (("action-done", "3"), "no action item 3 (there are none yet)"),
    (("remove", "why"), "remove takes why N, cause CATEGORY N"),
    (("remove", "cause", "weather", "1"), "(one of: people, process, technology"),
    (("tick", "smoke_tests"), ("(one of: incident_report, rca_scheduled, fix_plan, "
     "re_release_planned)")),
    (("complete",), "it needs a root cause (root_cause, or the five whys) and an action item"),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(b[0][:2]) for b in BAD])
def test_errors_exit_2_listing_the_valid_values(run_cli: Any, rollback_home: Path,
                                                args: tuple[str, ...], message: str) -> None:
    folder = _resolved_hours_ago(rollback_home, 2.5)
    before = read_journal(folder).events
    result = _postmortem(run_cli, *args)
    assert result.returncode == 2
    assert result.stderr.startswith("rollback: ") and message in result.stderr
    assert "Traceback" not in result.stderr
    assert read_journal(folder).events == before


def test_usage_errors_and_unknown_incidents_exit_2(run_cli: Any, rollback_home: Path) -> None:
    _resolved_hours_ago(rollback_home, 2.5)
    missing_owner = _postmortem(run_cli, "action", "x", "--due", "2026-12-04")
    assert missing_owner.returncode == 2 and "--owner" in missing_owner.stderr
    unknown = run_cli("incidents", "postmortem", "20991231-000000-none")
    assert unknown.returncode == 2 and "no incident '20991231-000000-none'" in unknown.stderr
    helped = run_cli("incidents", "postmortem", "--help")
    assert helped.returncode == 0 and "action-done" in helped.stdout
    assert "--owner bob --due 2026-12-04" in helped.stdout


def test_list_shows_overdue_deadlines(run_cli: Any, rollback_home: Path) -> None:
    _resolved_hours_ago(rollback_home, 50.5)
    listed = run_cli("incidents", "list")
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if line.startswith(INCIDENT_ID))
    assert row.endswith("[report OVERDUE by 26h · postmortem OVERDUE by 2h]")
    rows = [json.loads(line) for line in run_cli("incidents", "list", "--json").stdout.split(
        "\n") if line]
    assert [d["state"] for d in rows[0]["deadlines"]] == ["overdue", "overdue"]
    shown = _postmortem(run_cli)
    assert "deadlines: report OVERDUE by 26h (by " in shown.stdout


def test_list_shows_due_then_done(run_cli: Any, rollback_home: Path) -> None:
    _resolved_hours_ago(rollback_home, 2.5)
    row = run_cli("incidents", "list").stdout.splitlines()[1]
    assert row.endswith("[report due in 21h · postmortem due in 45h]")
    for args in (("tick", "incident_report"), ("why", "pool exhausted"),
                 ("action", "contract test", "--owner", "bob", "--due", "2026-12-04"),
                 ("complete",)):
        assert _postmortem(run_cli, *args).returncode == 0
    row = run_cli("incidents", "list").stdout.splitlines()[1]
    assert row.endswith("[report done · postmortem done]")


def test_open_incidents_list_without_deadlines(run_cli: Any, rollback_home: Path) -> None:
    _resolved_hours_ago(rollback_home, 2.5, resolved=False)
    row = run_cli("incidents", "list").stdout.splitlines()[1]
    assert row.startswith(INCIDENT_ID) and "[" not in row
    rows = [json.loads(line) for line in run_cli("incidents", "list", "--json").stdout.split(
        "\n") if line]
    assert [d["state"] for d in rows[0]["deadlines"]] == ["not yet", "not yet"]
    # The record may be started while the incident is open; nothing is resumed for it.
    assert _postmortem(run_cli, "why", "pool exhausted").returncode == 0
    assert "due 24h after resolution" in _postmortem(run_cli).stdout


def test_list_deadlines_at_a_fixed_moment(rollback_home: Path, capsys: Any) -> None:
    write_incident(rollback_home)  # resolved 2026-11-30 04:32 UTC
    resolved = datetime.fromtimestamp(resolution_epoch(), UTC)
    for after, shown in ((timedelta(hours=19), "[report due in 5h · postmortem due in 29h]"),
                         (timedelta(hours=30), "[report OVERDUE by 6h · postmortem due in 18h]"),
                         (timedelta(hours=49, minutes=30),
                          "[report OVERDUE by 25h · postmortem OVERDUE by 1h]")):
        assert cmd_list(argparse.Namespace(json=False), now=resolved + after) == 0
        row = capsys.readouterr().out.splitlines()[1]
        assert row.startswith(INCIDENT_ID) and row.endswith(shown)
    assert cmd_list(argparse.Namespace(json=True), now=resolved + timedelta(hours=30)) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["deadlines"] == [
        {"what": "incident report", "state": "overdue", "due_at": "2026-12-01T04:32:00+00:00"},
        {"what": "postmortem", "state": "due", "due_at": "2026-12-02T04:32:00+00:00"}]
