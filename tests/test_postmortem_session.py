"""The session's post-incident operations on a real journal: each journals one
`postmortem.updated` (or, for post-rollback actions, `check.recorded`), replay after a restart
gives the same record, a resolved incident takes them, a follower cannot."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from postmortem_incident import RUNBOOK_PATH, config, runbook, write_incident
from widgets_scenario import ACTOR

from tui.adapters.journal import JournalLockedError, load_state, read_journal
from tui.domain.postmortem import DueState
from tui.session.core import SessionError
from tui.session.session import IncidentSession


@pytest.fixture
def folder(rollback_home: Path) -> Path:
    """A resolved incident."""
    return write_incident(rollback_home)


@pytest.fixture
def session(folder: Path):
    """The incident attached for post-incident work."""
    opened = IncidentSession.attach_post_incident(folder, runbook(), config(folder))
    yield opened
    opened.close()


def _new_events(folder: Path, since: int) -> list[tuple[str, str, dict[str, Any]]]:
    return [(e.type, e.actor, e.data) for e in read_journal(folder).events[since:]]


OPERATIONS: list[tuple[str, Any, dict[str, Any]]] = [
    ("why", lambda s: s.add_why("the pool was exhausted"),
     {"section": "five_whys", "value": ["the pool was exhausted"]}),
    ("lesson", lambda s: s.add_lesson("went-well", "rollback took 4 minutes"),
     {"section": "went_well", "value": ["rollback took 4 minutes"]}),
    ("improve", lambda s: s.add_lesson("to_improve", "alert fired late"),
     {"section": "to_improve", "value": ["alert fired late"]}),
    ("prevention", lambda s: s.add_prevention("Team training"),
     {"section": "prevention", "value": ["Team training"]}),
    ("cause", lambda s: s.add_cause("Technology", "no contract test"),
     {"section": "fishbone", "value": {"technology": ["no contract test"]}}),
    ("action", lambda s: s.add_action_item("contract test", "bob", "2026-12-04"),
     {"section": "action_items", "value": [{"text": "contract test", "owner": "bob",
                                            "due": "2026-12-04", "done": False}]}),
    ("criterion", lambda s: s.set_criterion("code-review"),
     {"section": "re_release", "value": {"code_review": True}}),
    ("text", lambda s: s.set_text("user-impact", " 12% of checkouts failed "),
     {"section": "user_impact", "value": "12% of checkouts failed"}),
]


@pytest.mark.parametrize(("name", "operation", "data"), OPERATIONS,
                         ids=[o[0] for o in OPERATIONS])
def test_each_operation_journals_one_update(session: IncidentSession, folder: Path, name: str,
                                            operation: Any, data: dict[str, Any]) -> None:
    before = len(read_journal(folder).events)
    operation(session)
    assert _new_events(folder, before) == [("postmortem.updated", ACTOR, data)]
    assert session.postmortem()[data["section"]] == data["value"]


def test_sections_build_up_and_entries_come_out(session: IncidentSession,
                                                folder: Path) -> None:
    session.add_why("pool exhausted")
    session.add_why("excessive queries")
    session.add_cause("people", "handoff at 04:00")
    session.add_cause("process", "no query review")
    session.add_cause("people", "new on-call")
    session.add_action_item("query review in the checklist", "carol", date(2026, 12, 8))
    session.add_action_item("contract test", "bob", "2026-12-04")
    before = len(read_journal(folder).events)
    session.set_action_done(1)
    session.remove_entry("five_whys", 0)
    session.remove_entry("fishbone", 0, category="people")
    session.set_prevention("Team training", True)
    session.set_prevention("Team training", True)
    session.set_prevention("Tool improvements", True)
    session.set_prevention("Team training", False)
    assert [data["section"] for kind, _, data in _new_events(folder, before)] == [
        "action_items", "five_whys", "fishbone", "prevention", "prevention", "prevention",
        "prevention"]
    record = session.postmortem()
    assert record["five_whys"] == ["excessive queries"]
    assert record["fishbone"] == {"people": ["new on-call"], "process": ["no query review"]}
    assert [i["done"] for i in record["action_items"]] == [False, True]
    assert record["prevention"] == ["Tool improvements"]


def test_state_after_a_restart_equals_state_before(session: IncidentSession,
                                                   folder: Path) -> None:
    for _, operation, _ in OPERATIONS:
        operation(session)
    session.set_action_done(0)
    session.tick_post_rollback("incident_report", note="report in the wiki")
    session.complete_postmortem()
    before = session.snapshot()
    session.close()
    after, parsed = load_state(folder)
    assert after.postmortem == before.postmortem
    assert after.checks == before.checks
    assert after.postmortem["status"] == "complete"
    assert not parsed.problems
    again = IncidentSession.attach_post_incident(folder, runbook(), config(folder))
    try:
        assert again.postmortem() == before.postmortem
    finally:
        again.close()


def test_resolved_incident_takes_post_incident_work_but_not_a_resume(folder: Path) -> None:
    state, _ = load_state(folder)
    assert state.status == "resolved"
    with pytest.raises(SessionError, match="already resolved"):
        IncidentSession.resume(folder, runbook(), RUNBOOK_PATH.read_bytes(), config(folder),
                               announce=False)
    session = IncidentSession.attach_post_incident(folder, runbook(), config(folder))
    try:
        session.add_why("the pool was exhausted")
        session.tick_post_rollback("incident_report")
        now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
        assert [d.state for d in session.deadlines(now)] == [DueState.DONE, DueState.DUE]
        # Attaching journals nothing of its own: only the two changes were appended.
        assert [e.type for e in read_journal(folder).events[-3:]] == [
            "incident.resolved", "postmortem.updated", "check.recorded"]
    finally:
        session.close()


def test_a_runbook_changed_since_the_incident_is_accepted(rollback_home: Path,
                                                         tmp_path: Path) -> None:
    folder = write_incident(rollback_home, resolved=False)
    changed = tmp_path / "revert-deployment.yaml"
    changed.write_bytes(RUNBOOK_PATH.read_bytes() + b"\n# rollback plan updated\n")
    with pytest.raises(SessionError, match="changed since incident"):
        IncidentSession.resume(folder, runbook(), changed.read_bytes(), config(folder),
                               announce=False)
    session = IncidentSession.attach_post_incident(folder, runbook(), config(folder))
    try:
        assert session.set_criterion("rollback_plan_updated") == {"rollback_plan_updated": True}
    finally:
        session.close()


def test_refused_for_a_follower(folder: Path) -> None:
    follower = IncidentSession.follow(folder, runbook(), config(folder))
    before = len(read_journal(folder).events)
    try:
        for attempt in (lambda: follower.add_why("x"), lambda: follower.complete_postmortem(),
                        lambda: follower.update_postmortem("root_cause", "x"),
                        lambda: follower.tick_post_rollback("incident_report")):
            with pytest.raises(SessionError, match="read-only"):
                attempt()
    finally:
        follower.close()
    assert len(read_journal(folder).events) == before


def test_one_writer_at_a_time(session: IncidentSession, folder: Path) -> None:
    with pytest.raises(JournalLockedError):
        IncidentSession.attach_post_incident(folder, runbook(), config(folder))


@pytest.mark.parametrize(("attempt", "message"), [
    (lambda s: s.add_why("  "), "a why needs some text"),
    (lambda s: s.add_lesson("meh", "x"), "one of: went-well, to-improve"),
    (lambda s: s.add_cause("weather", "x"), "people, process, technology, environment"),
    (lambda s: s.add_action_item("x", "bob", "2026-02-30"), "YYYY-MM-DD"),
    (lambda s: s.add_action_item("x", " ", "2026-12-04"), "needs some text and an owner"),
    (lambda s: s.set_action_done(0), "no action item 1 (there are none yet)"),
    (lambda s: s.remove_entry("five_whys", 3), "no why 4"),
    (lambda s: s.remove_entry("root_cause", 0), "is not a list"),
    (lambda s: s.set_criterion("vibes"), "root-cause-fixed"),
    (lambda s: s.set_text("summary", "x"), "issue-description, root-cause"),
    (lambda s: s.update_postmortem("status", "done"), "draft or complete"),
    (lambda s: s.tick_post_rollback("smoke_tests"), "incident_report, rca_scheduled"),
    (lambda s: s.complete_postmortem(), "needs a root cause"),
])
def test_refusals_name_what_is_valid(session: IncidentSession, folder: Path, attempt: Any,
                                     message: str) -> None:
    before = len(read_journal(folder).events)
    with pytest.raises(SessionError) as raised:
        attempt(session)
    assert message in str(raised.value)
    assert len(read_journal(folder).events) == before


def test_completion_and_back_to_draft(session: IncidentSession) -> None:
    session.set_text("root_cause", "no query review in code review")
    with pytest.raises(SessionError, match="an action item"):
        session.complete_postmortem()
    session.add_action_item("add query review", "carol", "2026-12-08")
    assert session.complete_postmortem() == "complete"
    assert session.complete_postmortem(False) == "draft"


def test_the_open_incident_can_have_its_record_started(rollback_home: Path) -> None:
    folder = write_incident(rollback_home, resolved=False)
    session = IncidentSession.resume(folder, runbook(), RUNBOOK_PATH.read_bytes(),
                                     config(folder), announce=False)
    try:
        session.add_why("2.4.0's payment client times out")
        assert [d.state for d in session.deadlines()] == [DueState.NOT_YET, DueState.NOT_YET]
    finally:
        session.close()
