"""The step list: rows, tags and times; the cursor and the messages it posts; blockers."""

from __future__ import annotations

from dataclasses import replace

import pytest
from widgets_scenario import (
    NOW,
    SIZES,
    THEMES,
    Harness,
    executing_state,
    fixed_clock,
    runbook,
    screen_text,
    verifying_state,
)

from tui.domain.drill_timing import incident_clock
from tui.domain.incident import StepState
from tui.domain.status import StepStatus
from widgets.step_list import StepList, StepRow, step_row_lines, step_rows, step_tags, step_time
from widgets.text import line_text, line_width

BLOCKERS = {"rollout_status": "watch deployments.apps denied in production (RBAC pre-check)"}


def test_rows_follow_the_runbook_and_the_incident() -> None:
    rows = step_rows(runbook(), executing_state(), BLOCKERS)
    assert [r.number for r in rows] == list(range(1, 14))
    assert rows[0].status is StepStatus.OK and rows[7].status is StepStatus.RUNNING
    assert rows[8].blocker.startswith("watch deployments.apps denied")
    assert rows[12].status is StepStatus.PENDING


def test_tags_say_manual_danger_rbac_blocked_and_dry_run() -> None:
    book = runbook()
    steps = {s.id: s for s in book.steps}
    state = executing_state()
    assert step_tags(steps["announce"], state.steps["announce"], False) == (("manual", "muted"),)
    assert step_tags(steps["rollout_undo"], None, False) == (("danger", "danger"),)
    assert ("8/8 RBAC", "muted") in step_tags(steps["verify_prerequisites"],
                                             state.steps["verify_prerequisites"], False)
    denied = StepState("verify_prerequisites", StepStatus.FAILED, data={"checks": [
        {"allowed": True}, {"allowed": False}]})
    assert ("1/2 RBAC", "failed") in step_tags(steps["verify_prerequisites"], denied, False)
    point = replace(steps["rollout_undo"], point_of_no_return=True)
    dry = StepState("rollout_undo", StepStatus.RUNNING, dry_run=True, attempts=2)
    assert step_tags(point, dry, True) == (("blocked", "failed"), ("no return", "danger"),
                                           ("dry-run", "warning"), ("try 2", "warning"))


def test_times_elapsed_actual_or_estimated() -> None:
    rows = {r.step_id: r for r in step_rows(runbook(), executing_state())}
    assert step_time(rows["rollout_undo"], NOW) == ("0:37", "running")
    assert step_time(rows["announce"], NOW) == ("0:40", "muted")
    assert step_time(rows["rollout_status"], NOW) == ("~3m", "muted")


def test_in_a_drill_step_times_are_on_its_clock() -> None:
    """×10: the 40 wall seconds announce took are 6:40 of the drill's time."""
    started = "2026-11-30T03:00:00+00:00"  # the drill ran ×10 since well before
    state = replace(executing_state(), drill=True,
                    drill_scenario={"speed": 10, "drill_started_at": started})
    rows = {r.step_id: r for r in step_rows(runbook(), state)}
    now = incident_clock(state).position(NOW)  # as the list reads its clock
    assert step_time(rows["announce"], now) == ("6:40", "muted")
    assert step_time(rows["rollout_undo"], now) == ("6:10", "running")


def test_row_line_matches_the_sketch() -> None:
    rows = step_rows(runbook(), executing_state())
    assert line_text(step_row_lines(rows[7], 50, NOW)[0]) == (
        "▶  8 Deploy previous version          danger  0:37")
    assert line_text(step_row_lines(rows[0], 50, NOW)[0]).startswith("✓  1 Announce rollback")


def test_the_blocker_shows_only_while_highlighted() -> None:
    row = step_rows(runbook(), executing_state(), BLOCKERS)[8]
    assert len(step_row_lines(row, 50, NOW)) == 1
    lines = [line_text(line) for line in step_row_lines(row, 50, NOW, highlighted=True)]
    assert lines[0].startswith("⊘  9 Verify deployment")
    assert "blocked" in lines[0]
    assert lines[1].strip().startswith("⊘ blocked: watch deployments.apps denied")


@pytest.mark.parametrize("width", [80, 50, 30, 16, 8])
def test_rows_never_exceed_the_width(width: int) -> None:
    long = StepRow("x", 12, "T" * 200, StepStatus.RUNNING, (("no return", "danger"),
                   ("dry-run", "warning")), started=NOW - 7200, blocker="b " * 100)
    for line in step_row_lines(long, width, NOW, highlighted=True):
        assert line_width(line) <= width


def make_list(blockers: dict[str, str] | None = None) -> StepList:
    steps = StepList(runbook(), executing_state(), clock=fixed_clock)
    steps.blockers = blockers or {}
    return steps


async def test_keys_move_the_cursor_and_post_messages() -> None:
    app = Harness(lambda: [make_list()])
    async with app.run_test(size=(80, 24)) as pilot:
        steps = app.query_one(StepList)
        await pilot.press("down", "down")
        await pilot.press("end")
        await pilot.press("home")
        await pilot.press("up")  # already first: nothing
        await pilot.press("down", "enter")
        await pilot.pause()
        posted = [(type(m).__name__, m.step_id) for m in app.posted]
        assert posted == [("Highlighted", "announce"), ("Highlighted", "status_page"),
                          ("Highlighted", "assemble_team"), ("Highlighted", "error_rate"),
                          ("Highlighted", "announce"), ("Highlighted", "status_page"),
                          ("RunRequested", "status_page")]
        assert all(m.control is steps for m in app.posted)


async def test_new_state_keeps_the_cursor_on_the_same_step() -> None:
    app = Harness(lambda: [make_list()])
    async with app.run_test(size=(80, 24)) as pilot:
        steps = app.query_one(StepList)
        await pilot.press(*["down"] * 7)
        assert steps.highlighted_key == "rollout_undo"
        steps.state = verifying_state()
        await pilot.pause()
        assert steps.highlighted_key == "rollout_undo"
        assert "✓  8 Deploy previous version" in screen_text(app)


async def test_blocked_reason_appears_when_highlighted() -> None:
    app = Harness(lambda: [make_list(BLOCKERS)])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "⊘ blocked:" not in screen_text(app)
        await pilot.press(*["down"] * 8)
        await pilot.pause()
        assert "⊘ blocked: watch deployments.apps denied" in screen_text(app)


async def test_running_step_elapsed_ticks() -> None:
    now = [NOW]
    app = Harness(lambda: [StepList(runbook(), executing_state(), clock=lambda: now[0])])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "danger  0:37" in screen_text(app)
        now[0] = NOW + 30
        await pilot.pause(1.2)
        assert "danger  1:07" in screen_text(app)


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot(snap_compare, size: tuple[int, int], theme: str) -> None:
    """Step 8 (rollout undo, danger) running for 0:37; the cursor on step 9, which the RBAC
    pre-check blocked, with its reason; steps 1-7 done with their times and tags."""
    app = Harness(lambda: [make_list(BLOCKERS)], theme, pane=True)
    assert snap_compare(app, press=["down"] * 8, terminal_size=size)
