"""The checklist: rows, live values, the status banner, ticking and notes by keyboard."""

from __future__ import annotations

import pytest
from widgets_scenario import (
    SIZES,
    THEMES,
    Harness,
    execution_events,
    journal,
    runbook,
    screen_text,
    state_of,
    verification_events,
    verifying_state,
)

from tui.domain.checklist import ChecklistEntry, checklist, derive_status
from tui.domain.incident import IncidentState
from tui.domain.status import CheckStatus
from widgets.checklist import (
    Checklist,
    banner_lines,
    checklist_keys,
    header_line,
    item_detail,
    item_lines,
)
from widgets.text import line_text, line_width

LIVE = {"services_running": "3/3 running", "correct_version": "version 2.3.1",
        "no_error_spikes": "error 0.4 % vs 0.5 %"}


def sections():
    return checklist(runbook(), verifying_state())


def entry_of(item_id: str) -> ChecklistEntry:
    return next(e for s in sections() for e in s.entries if e.item_id == item_id)


def test_rows_are_headers_then_items_by_section() -> None:
    keys = checklist_keys(sections())
    assert keys[0] is None and keys[1] == "severity_confirmed"
    assert keys.count(None) == 5
    assert [s.title for s in sections()] == ["Pre-rollback", "Post-rollback verification",
                                             "Rollback validation", "Communication",
                                             "Post-rollback actions"]
    assert line_text(header_line(sections()[1], 40)) == (
        "Post-rollback verification" + " " * 10 + "5/13")


def test_details_live_value_then_result_then_who_then_how() -> None:
    assert item_detail(entry_of("services_running"), LIVE) == ("3/3 running", "live")
    assert item_detail(entry_of("response_times_normal"), {})[1] == "fail"
    assert item_detail(entry_of("severity_confirmed"), {}) == ("by alice@laptop", "muted")
    assert item_detail(entry_of("smoke_tests"), {}) == ("manual", "muted")
    assert item_detail(entry_of("traffic_normal"), {}) == ("auto · waiting", "muted")


def test_item_line_has_mark_text_and_detail() -> None:
    line = item_lines(entry_of("services_running"), LIVE, 50)[0]
    assert line_text(line) == " ✓ All services running" + " " * 16 + "3/3 running"
    assert line[0] == (" ✓", "pass")
    failed = item_lines(entry_of("response_times_normal"), {}, 50)[0]
    assert failed[0] == (" ✗", "fail")


def test_highlighted_item_shows_what_was_cut() -> None:
    entry = entry_of("response_times_normal")
    plain = item_lines(entry, {}, 50)
    assert len(plain) == 1 and line_text(plain[0]).endswith("…")
    full = [line_text(line) for line in item_lines(entry, {}, 50, highlighted=True)]
    assert full[1].strip().startswith("latency_p95 0.61 > threshold 0.500")


@pytest.mark.parametrize("width", [80, 50, 24, 10])
def test_item_lines_never_exceed_the_width(width: int) -> None:
    entry = ChecklistEntry("x", "漢字" * 60, "verification", False, CheckStatus.OPEN,
                           note="n " * 90)
    for line in item_lines(entry, {"x": "v" * 300}, width, highlighted=True):
        assert line_width(line) <= width


def test_banner_says_the_status_in_large_letters_and_why() -> None:
    summary = derive_status(runbook(), verifying_state())
    lines = [line_text(line) for line in banner_lines(summary, 56)]
    assert lines[0].startswith(" ✗  F A I L E D")
    assert lines[1].startswith(" FAILED — check(s) failed: response_times_normal")
    assert banner_lines(summary, 56)[0][0][1] == "failed"
    assert line_text(banner_lines(summary, 12)[0]) == " ✗ FAILED   "  # a full-width block


def make_checklist(state: IncidentState | None = None) -> Checklist:
    state = state or verifying_state()
    return Checklist(checklist(runbook(), state), derive_status(runbook(), state), LIVE)


async def test_cursor_skips_headers_and_space_ticks_manual_items() -> None:
    app = Harness(lambda: [make_checklist()])
    async with app.run_test(size=(80, 24)) as pilot:
        checks = app.query_one(Checklist)
        assert checks.highlighted_item == "severity_confirmed"
        await pilot.press("space")  # ticked: asks to untick
        await pilot.press("down", "down", "space")  # backup_available, open: asks to tick
        await pilot.press("down", "down")  # past the header to the first verification item
        assert checks.highlighted_item == "services_running"
        await pilot.press("space")  # automatic: nothing
        await pilot.press("up")
        assert checks.highlighted_item == "team_available"
        await pilot.press("n")
        await pilot.pause()
        posted = [(type(m).__name__, m.item_id, getattr(m, "checked", None))
                  for m in app.posted]
        assert posted == [("Toggled", "severity_confirmed", False),
                          ("Toggled", "backup_available", True),
                          ("NoteRequested", "team_available", None)]
        assert all(m.control is checks for m in app.posted)


async def test_ticking_is_greyed_out_on_automatic_items() -> None:
    app = Harness(lambda: [make_checklist()])
    async with app.run_test(size=(80, 24)) as pilot:
        checks = app.query_one(Checklist)
        items = checks._items
        assert items.check_action("toggle", ()) is True
        await pilot.press("end", "home", *["down"] * 4)
        assert checks.highlighted_item == "services_running"
        assert items.check_action("toggle", ()) is None


async def test_new_marks_flow_down_and_the_banner_follows() -> None:
    before = state_of(journal(execution_events()))
    checks = make_checklist(before)
    app = Harness(lambda: [checks])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "P A R T I A L" in screen_text(app)
        await pilot.press("down", "down")
        after = verifying_state()
        checks.sections = checklist(runbook(), after)
        checks.summary = derive_status(runbook(), after)
        await pilot.pause()
        assert "F A I L E D" in screen_text(app)
        assert checks.highlighted_item == "backup_available"  # the cursor stayed put
        assert " ✓ Notify stakeholders of rollback decision" in screen_text(app)


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot(snap_compare, size: tuple[int, int], theme: str) -> None:
    """After the run: FAILED (latency check failed, highlighted with its full result), live
    values beside three automatic items, two manual items ticked, the rest open."""
    app = Harness(lambda: [make_checklist()], theme, pane=True)
    assert snap_compare(app, press=["down"] * 10, terminal_size=size)


def test_snapshot_success(snap_compare) -> None:
    """Everything passed: the SUCCESS banner."""
    book = runbook()
    done = [("04:40:00", "check.recorded", {"item_id": item.id, "status": "pass"})
            for item in book.checklist_items()]
    state = state_of(journal(execution_events() + verification_events() + done))
    state.steps["rollout_undo"].status = state.steps["error_rate"].status
    app = Harness(lambda: [Checklist(checklist(book, state), derive_status(book, state))],
                  pane=True)
    assert snap_compare(app, terminal_size=(80, 24))
