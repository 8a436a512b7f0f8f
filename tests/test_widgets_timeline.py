"""The timeline: entry lines, following the tail, the `▼ N new` hint."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from widgets_scenario import (
    SIZES,
    THEMES,
    Harness,
    execution_events,
    journal,
    screen_text,
    verification_events,
)

from tui.domain.timeline import (
    EventCategory,
    EventSeverity,
    Symbol,
    TimelineEntry,
    describe,
)
from widgets.text import line_text, line_width
from widgets.timeline import Timeline, entry_lines


def entry(text: str, severity: EventSeverity = EventSeverity.INFO,
          symbol: Symbol = Symbol.INFO, actor: str = "alice@laptop", seq: int = 1
          ) -> TimelineEntry:
    return TimelineEntry(seq, "2026-11-30T04:26:00.000Z", "04:26:00", actor,
                         EventCategory.NOTE, symbol, text, severity)


def test_an_entry_is_time_actor_symbol_text() -> None:
    lines = entry_lines(entry("note by alice@laptop: paging the DB team"), 100)
    assert [line_text(line) for line in lines] == [
        "04:26:00 alice@laptop • note by alice@laptop: paging the DB team"]
    assert lines[0][0] == ("04:26:00 ", "muted")


def test_long_entries_wrap_under_the_text_and_stop_at_four_lines() -> None:
    lines = [line_text(line) for line in entry_lines(entry("word " * 200), 60)]
    assert len(lines) == 4
    # time (9) + actor (8 at this width) + symbol and spaces (3): the text's column
    assert all(line.startswith(" " * 20) and line[20] != " " for line in lines[1:])
    assert lines[-1].endswith("…")


def test_severity_colours_the_symbol_and_for_problems_the_text() -> None:
    failed = entry_lines(entry("step x failed", EventSeverity.ERROR, Symbol.FAILED), 80)[0]
    assert ("✗", "error") in failed and ("step x failed", "error") in failed
    ok = entry_lines(entry("step x ok", EventSeverity.OK, Symbol.OK), 80)[0]
    assert ("✓", "ok") in ok and ("step x ok", "") in ok


def test_narrow_views_give_the_actor_less_room() -> None:
    line = line_text(entry_lines(entry("x", actor="someone@a-very-long-host"), 60)[0])
    assert line == "04:26:00 someone… • x"


@pytest.mark.parametrize("width", [120, 80, 40, 24, 10])
def test_lines_never_exceed_the_width(width: int) -> None:
    for line in entry_lines(entry("Ω" * 50 + " 漢字" * 80, actor="漢字" * 20), width):
        assert line_width(line) <= width


def the_incident() -> list[TimelineEntry]:
    return [describe(e) for e in journal(execution_events())]


async def test_follows_the_tail_until_scrolled_up_then_counts_new_entries() -> None:
    timeline = Timeline(the_incident())
    app = Harness(lambda: [timeline])
    async with app.run_test(size=(80, 12)) as pilot:
        await pilot.pause()
        assert timeline.following
        assert "step rollout_undo started" in screen_text(app)
        await pilot.press("up", "up", "up")
        assert not timeline.following
        later = [describe(e) for e in journal(verification_events(), first_seq=40)][:3]
        timeline.extend(later)
        await pilot.pause()
        assert timeline.new_count == 3
        assert "▼ 3 new · End to follow" in screen_text(app)
        assert "step rollout_status started" not in screen_text(app)
        await pilot.press("end")
        await pilot.pause()
        assert timeline.following and timeline.new_count == 0
        assert "step rollout_status started" in screen_text(app)
        assert "new · End to follow" not in screen_text(app)


async def test_scrolling_back_down_by_hand_also_resumes_following() -> None:
    timeline = Timeline(the_incident())
    app = Harness(lambda: [timeline])
    async with app.run_test(size=(80, 12)) as pilot:
        await pilot.pause()
        await pilot.press("up")
        timeline.append(entry("late note", seq=99))
        await pilot.pause()
        assert timeline.new_count == 1
        await pilot.press(*["down"] * 6)
        await pilot.pause()
        assert timeline.following and timeline.new_count == 0
        timeline.append(entry("later still", seq=100))
        await pilot.pause()
        assert "later still" in screen_text(app)


async def test_appending_renders_only_the_new_entries_and_drops_the_oldest() -> None:
    timeline = Timeline(max_items=50)
    app = Harness(lambda: [timeline])
    async with app.run_test(size=(80, 12)) as pilot:
        await pilot.pause()
        rendered: list[int] = []
        original = timeline.render_item

        def counting(item: TimelineEntry, width: int) -> list:
            rendered.append(item.seq)
            return original(item, width)

        timeline.render_item = counting  # type: ignore[method-assign]
        for seq in range(1, 121):
            timeline.append(entry(f"event {seq}", seq=seq))
        await pilot.pause()
        assert rendered == list(range(1, 121))  # each entry rendered once, when it came
        assert len(timeline.items) <= 55 and timeline.items[-1].seq == 120
        assert "event 120" in screen_text(app)


async def test_add_events_describes_journal_lines() -> None:
    timeline = Timeline()
    app = Harness(lambda: [timeline])
    async with app.run_test(size=(100, 30)) as pilot:
        timeline.add_events(journal(execution_events())[:2])
        await pilot.pause()
        assert "incident 20261130-041207-revert-deployment opened" in screen_text(app)


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot(snap_compare, size: tuple[int, int], theme: str) -> None:
    """The bad-release incident up to the undo, and its verification (one failed check),
    following the tail."""
    entries = [describe(e) for e in journal(execution_events() + verification_events())]
    assert snap_compare(Harness(lambda: [Timeline(entries)], theme), terminal_size=size)


def test_snapshot_new_entries_while_scrolled_up(snap_compare) -> None:
    """Scrolled up by five lines, three entries arrived: the bottom line says so."""
    later = [describe(e) for e in journal(verification_events(), first_seq=40)]

    async def scroll_up_then_append(pilot: Pilot) -> None:
        await pilot.pause()
        await pilot.press(*["up"] * 5)
        pilot.app.query_one(Timeline).extend(later[:3])
        await pilot.pause()

    app = Harness(lambda: [Timeline(the_incident())])
    assert snap_compare(app, run_before=scroll_up_then_append, terminal_size=(80, 24))
