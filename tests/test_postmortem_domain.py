"""The post-incident record's sections, value checks, names and deadlines (pure domain)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tui.domain import postmortem as pm
from tui.domain.incident import IncidentState

RESOLVED = "2026-11-30T04:32:00.000Z"
RESOLVED_AT = datetime(2026, 11, 30, 4, 32, tzinfo=UTC)
ITEM = {"text": "Add a payment-client contract test", "owner": "bob", "due": "2026-12-04"}

GOOD: list[tuple[str, Any, Any]] = [
    *[(s, "  crash loop in 2.4.0 \n", "crash loop in 2.4.0") for s in pm.TEXT_SECTIONS],
    *[(s, [" one ", "", "two"], ["one", "two"]) for s in pm.LIST_SECTIONS],
    ("fishbone", {"people": [" handoff "], "technology": []},
     {"people": ["handoff"], "technology": []}),
    ("action_items", [ITEM], [{**ITEM, "done": False}]),
    ("action_items", [{**ITEM, "text": " t ", "owner": " o ", "done": True}],
     [{**ITEM, "text": "t", "owner": "o", "done": True}]),
    ("re_release", {"root_cause_fixed": True, "code_review": False},
     {"root_cause_fixed": True, "code_review": False}),
    ("status", "complete", "complete"),
    ("status", "draft", "draft"),
]
BAD: list[tuple[str, Any, str]] = [
    ("nonsense", "x", "sections: issue_description"),
    *[(s, ["a list"], f"{s} is text") for s in pm.TEXT_SECTIONS],
    *[(s, "a string", f"{s} is a list of lines") for s in pm.LIST_SECTIONS],
    *[(s, ["ok", 3], f"{s} is a list of lines") for s in pm.LIST_SECTIONS],
    ("fishbone", {"weather": ["rain"]}, "people, process, technology, environment"),
    ("fishbone", {"people": "handoff"}, "fishbone people is a list of lines"),
    ("fishbone", ["people"], "fishbone maps categories"),
    ("action_items", {"text": "x"}, "list of {text, owner, due, done}"),
    ("action_items", [{**ITEM, "due": "next week"}], "due date (YYYY-MM-DD)"),
    ("action_items", [{"text": "x", "due": "2026-12-04"}], "needs text, owner"),
    ("action_items", [{**ITEM, "owner": "  "}], "some text and an owner"),
    ("action_items", ["just text"], "an action item is {text, owner, due, done}"),
    ("re_release", {"world_peace": True}, "root_cause_fixed"),
    ("re_release", {"code_review": "yes"}, "true/false"),
    ("status", "finished", "draft or complete"),
]


@pytest.mark.parametrize(("section", "value", "expected"), GOOD)
def test_check_section_accepts_and_normalises(section: str, value: Any, expected: Any) -> None:
    assert pm.check_section(section, value) == expected


@pytest.mark.parametrize(("section", "value", "message"), BAD)
def test_check_section_refuses_saying_what_is_expected(section: str, value: Any,
                                                       message: str) -> None:
    with pytest.raises(pm.PostmortemError) as raised:
        pm.check_section(section, value)
    assert message in str(raised.value)


def test_every_section_has_a_good_and_a_bad_case() -> None:
    assert {s for s, _, _ in GOOD} == set(pm.SECTIONS)
    assert {s for s, _, _ in BAD} >= set(pm.SECTIONS)


@pytest.mark.parametrize(("ask", "found"), [
    (pm.lesson_section, {"went-well": "went_well", "To_Improve": "to_improve"}),
    (pm.fishbone_category, {"People": "people", "environment": "environment"}),
    (pm.criterion_id, {"root-cause-fixed": "root_cause_fixed", "new_tests": "new_tests"}),
    (pm.text_section, {"root-cause": "root_cause", "user_impact": "user_impact"}),
])
def test_everyday_names(ask: Any, found: dict[str, str]) -> None:
    for typed, key in found.items():
        assert ask(typed) == key


@pytest.mark.parametrize(("ask", "listed"), [
    (pm.lesson_section, "went-well, to-improve"),
    (pm.fishbone_category, "people, process, technology, environment"),
    (pm.criterion_id, "root-cause-fixed, new-tests, code-review, staging-tested"),
    (pm.text_section, "issue-description, root-cause, user-impact"),
])
def test_unknown_names_list_the_valid_ones(ask: Any, listed: str) -> None:
    with pytest.raises(pm.PostmortemError) as raised:
        ask("bogus")
    assert "'bogus'" in str(raised.value) and listed in str(raised.value)


def test_due_dates() -> None:
    assert pm.parse_due(" 2026-12-04 ") == date(2026, 12, 4)
    for bad in ("2026-13-01", "04/12/2026", "tomorrow", ""):
        with pytest.raises(pm.PostmortemError, match="YYYY-MM-DD"):
            pm.parse_due(bad)


def _at(hours: float) -> datetime:
    return RESOLVED_AT + timedelta(hours=hours)


def test_deadlines_not_yet_while_open() -> None:
    report, postmortem = pm.deadlines(None, {}, False, _at(100))
    assert (report.state, postmortem.state) == (pm.DueState.NOT_YET, pm.DueState.NOT_YET)
    assert pm.deadline_line((report, postmortem), _at(100)) == \
        "report due 24h after resolution · postmortem due 48h after resolution"


def test_deadlines_due_then_overdue_with_a_fixed_clock() -> None:
    due = pm.deadlines(RESOLVED, {}, False, _at(19))
    assert [d.state for d in due] == [pm.DueState.DUE, pm.DueState.DUE]
    assert [d.due_at for d in due] == [_at(24), _at(48)]
    assert pm.deadline_line(due, _at(19)) == "report due in 5h · postmortem due in 29h"
    assert due[0].text(_at(19)) == "incident report due in 5h00m"
    late = pm.deadlines(RESOLVED, {}, False, _at(27.5))
    assert [d.state for d in late] == [pm.DueState.OVERDUE, pm.DueState.DUE]
    assert late[0].late and not late[1].late
    assert pm.deadline_line(late, _at(27.5)) == "report OVERDUE by 3h · postmortem due in 20h"
    assert pm.deadline_line(pm.deadlines(RESOLVED, {}, False, _at(48.25)), _at(48.25)) == \
        "report OVERDUE by 24h · postmortem OVERDUE by 15m"


def test_deadlines_done_by_the_report_item_and_completion() -> None:
    done = pm.deadlines(RESOLVED, {"status": "complete"}, True, _at(100))
    assert [d.state for d in done] == [pm.DueState.DONE, pm.DueState.DONE]
    assert pm.deadline_line(done, _at(100)) == "report done · postmortem done"
    draft = pm.deadlines(RESOLVED, {"status": "draft"}, True, _at(30))
    assert [d.state for d in draft] == [pm.DueState.DONE, pm.DueState.DUE]
    assert [d.to_dict() for d in draft] == [
        {"what": "incident report", "state": "done", "due_at": "2026-12-01T04:32:00+00:00"},
        {"what": "postmortem", "state": "due", "due_at": "2026-12-02T04:32:00+00:00"}]


def test_state_deadlines_read_the_journal_state() -> None:
    state = IncidentState(resolved_at=RESOLVED)
    assert [d.state for d in pm.state_deadlines(state, _at(30))] == \
        [pm.DueState.OVERDUE, pm.DueState.DUE]
    state.checks["incident_report"] = "pass"
    state.postmortem["status"] = "complete"
    assert [d.state for d in pm.state_deadlines(state, _at(30))] == \
        [pm.DueState.DONE, pm.DueState.DONE]


def test_why_chain_ends_in_the_root_cause() -> None:
    whys = ["pool exhausted", "excessive queries", "N+1 not caught in review"]
    assert pm.why_chain({"five_whys": whys}) == [
        ("Why?", "pool exhausted"), ("Why?", "excessive queries"),
        ("Root Cause", "N+1 not caught in review")]
    assert pm.why_chain({"five_whys": whys[:1], "root_cause": "review checklist"}) == [
        ("Why?", "pool exhausted"), ("Root Cause", "review checklist")]
    assert pm.why_chain({}) == []


def test_completion_needs_a_root_cause_and_an_action_item() -> None:
    assert pm.missing_for_completion({}) == [
        "a root cause (root_cause, or the five whys)",
        "an action item with an owner and a due date"]
    assert pm.missing_for_completion({"five_whys": ["x"], "action_items": [ITEM]}) == []
    assert pm.missing_for_completion({"root_cause": "x", "action_items": [{"text": "?"}]}) == \
        ["an action item with an owner and a due date"]


def test_criteria_met_counts_ticks() -> None:
    assert pm.criteria_met({"re_release": {"code_review": True, "new_tests": False}}) == 1
    assert pm.criteria_met({}) == 0
