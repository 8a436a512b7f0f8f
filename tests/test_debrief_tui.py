"""The debrief with Pilot: scrolling, the section jumps, the timeline toggle (and its footer
label), help, back; `d` on the closing screen and on the start screen of a finished drill; closing
a drill opens its debrief; the export key; hostile strings inert on screen; the screen without a
scorecard; and the seam to the scorer (absent, failing, present)."""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from debrief_cards import bad_play, good_play, hostile_play
from postmortem_incident import RUNBOOK_PATH, config, runbook, write_incident
from textual.widgets import OptionList
from tui_driver import until
from widgets_scenario import INCIDENT_ID, epoch_at

from screens.debrief import DebriefScreen
from screens.help import HelpScreen
from screens.text_entry import TextEntryScreen
from screens.verify import VerifyScreen
from tui.adapters.journal import read_journal
from tui.app.application import AppContext, create_app
from tui.app.drill_debrief import drill_scorecard
from tui.domain.drill_scorecard import Scorecard
from tui.session.session import IncidentSession
from widgets.debrief_view import DebriefBlock

NOW = epoch_at("05:00:00")


def _app(folder: Path, session: IncidentSession | None = None, card: Any = None) -> Any:
    session = session or IncidentSession.attach_post_incident(folder, runbook(), config(folder))
    app = create_app(AppContext(session=session, clock=lambda: NOW, live_feeds=False))
    if card is not None:  # the scorer is another module's: the screen is tested on its cards
        app.scorecard = lambda: card
    return app


def _shown(screen: DebriefScreen, block_id: str | None = None) -> str:
    """The text the debrief's blocks draw (all of them, or one)."""
    blocks = [screen.query_one(f"#{block_id}", DebriefBlock)] if block_id else \
        list(screen.query(DebriefBlock))
    return "\n".join(block.render_line(y).text for block in blocks
                     for y in range(block.size.height))


async def _debrief(pilot: Any, card: Any) -> DebriefScreen:
    pilot.app.push_screen(DebriefScreen(card))
    screen = await until(pilot, "the debrief", lambda: isinstance(pilot.app.screen,
                                                                  DebriefScreen)
                         and pilot.app.screen)
    await pilot.pause()
    return screen


async def test_keys_scroll_jump_toggle_the_timeline_and_go_back(rollback_home: Path) -> None:
    app = _app(write_incident(rollback_home))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _debrief(pilot, bad_play())
        body = screen.query_one("#debrief-body")
        assert body.has_focus and body.scroll_y == 0
        await pilot.press("pagedown")
        assert body.scroll_y > 0
        await pilot.press("home")
        assert body.scroll_y == 0
        await pilot.press("space")
        assert body.scroll_y > 0
        for key, block in (("a", "anti-patterns"), ("g", "truth"), ("p", "practise")):
            await pilot.press(key)
            await pilot.pause()
            target = screen.query_one(f"#debrief-{block}")
            # The section's heading is at the body's top, under its margin line (or the body
            # is scrolled to its end).
            assert target.region.y == body.region.y + 1 or body.scroll_y == body.max_scroll_y, \
                key
        assert screen.active_bindings["t"].binding.description == "Whole timeline"
        assert "assessment: impact score" not in _shown(screen, "debrief-timeline")
        await pilot.press("t")
        await pilot.pause()
        timeline = _shown(screen, "debrief-timeline")
        assert screen.whole_timeline and "assessment: impact score 72 → ROLLBACK" in timeline
        assert "▌■ decision ROLLBACK" in timeline  # inside the 24-minute hesitation
        assert screen.active_bindings["t"].binding.description == "Moments only"
        await pilot.press("t")
        await pilot.pause()
        assert not screen.whole_timeline
        assert "assessment: impact score" not in _shown(screen, "debrief-timeline")
        await pilot.press("question_mark")
        help_screen = await until(pilot, "help", lambda: isinstance(app.screen, HelpScreen)
                                  and app.screen)
        keys = {str(cell) for column in help_screen.keys.columns for cell in column.cells}
        assert {"Back", "Export report", "Whole timeline", "Anti-patterns", "Ground truth",
                "Practise next"} <= keys
        await pilot.press("escape")
        await until(pilot, "the debrief again", lambda: app.screen is screen)
        await pilot.press("escape")
        await until(pilot, "the closing screen", lambda: isinstance(app.screen, VerifyScreen))
    app.session.close()


async def test_d_on_the_closing_screen_of_a_finished_drill(rollback_home: Path) -> None:
    app = _app(write_incident(rollback_home), card=good_play())
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, "the closing screen", lambda: isinstance(app.screen, VerifyScreen))
        assert app.screen.check_action("debrief", ()) is True
        await pilot.press("d")
        screen = await until(pilot, "the debrief", lambda: isinstance(app.screen, DebriefScreen)
                             and app.screen)
        assert screen.scorecard == good_play()
        assert "of 100  EXCELLENT  by alice@laptop" in _shown(screen, "debrief-headline")
    app.session.close()


async def test_closing_a_drill_opens_its_debrief(rollback_home: Path) -> None:
    folder = write_incident(rollback_home, resolved=False)
    session = IncidentSession.resume(folder, runbook(), RUNBOOK_PATH.read_bytes(),
                                     config(folder), announce=False)
    app = _app(folder, session, card=bad_play())
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, "the closing screen", lambda: isinstance(app.screen, VerifyScreen))
        assert app.screen.check_action("debrief", ()) is False  # not before the end
        await pilot.press("ctrl+r")
        await until(pilot, "who verified", lambda: isinstance(app.screen, TextEntryScreen))
        await pilot.press("enter")
        screen = await until(pilot, "the debrief", lambda: isinstance(app.screen, DebriefScreen)
                             and app.screen)
        assert screen.scorecard == bad_play()
    assert read_journal(folder).events[-1].type == "incident.resolved"
    app.session.close()


async def test_d_on_a_finished_drill_of_the_start_screen(rollback_home: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    write_incident(rollback_home)
    monkeypatch.setenv("KUBECONFIG", str(rollback_home / "no-kubeconfig"))
    from tui.app.config import Settings
    from tui.app.launch import Opener
    from tui.app.paths import resolve_paths

    opener = Opener(resolve_paths(), Settings(actor="alice@laptop"), environ=dict(os.environ))
    app = create_app(AppContext(paths=opener.paths, clock=lambda: NOW, live_feeds=False,
                                opener=opener))
    app.scorecard = lambda: good_play() if app.session is not None else "no session"
    async with app.run_test(size=(120, 40)) as pilot:
        menu = app.screen.query_one("#start-menu", OptionList)
        await until(pilot, "the finished drill, read", lambda: any(
            e.key == INCIDENT_ID and e.drill for e in app.screen.entries) and
            menu.highlighted_option is not None and
            menu.highlighted_option.id == f"closed:{INCIDENT_ID}")
        assert app.screen.check_action("debrief", ()) is True
        await pilot.press("d")
        screen = await until(pilot, "the debrief", lambda: isinstance(app.screen, DebriefScreen)
                             and app.screen)
        assert screen.scorecard == good_play() and app.session.incident_id == INCIDENT_ID
        await pilot.press("escape")
        await until(pilot, "the closed drill", lambda: isinstance(app.screen, VerifyScreen))
    app.session.close()


async def test_export_writes_the_drill_report(rollback_home: Path) -> None:
    folder = write_incident(rollback_home)
    app = _app(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await _debrief(pilot, good_play())
        await pilot.press("e")
        note = await until(pilot, "the export's notification", lambda: next(
            (n for n in app._notifications if n.title == "Drill report"), None), timeout=20)
    written = sorted(p.name for p in (folder / "exports").iterdir())
    assert note.message.startswith("exported: "), note.message
    assert written == [f"{INCIDENT_ID}-drill-report.html", f"{INCIDENT_ID}-drill-report.md"]
    app.session.close()


async def test_hostile_strings_are_inert_on_screen(rollback_home: Path) -> None:
    app = _app(write_incident(rollback_home))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _debrief(pilot, hostile_play())
        await pilot.press("t")
        await pilot.pause()
        shown = _shown(screen)
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert "^[[2J^[]0;owned^G[bold red]boom[/]" in shown and "<U+202E>gnp.exe" in shown
    assert "[link=http://x]y[/link]" in shown  # the because… line of the ground truth
    assert app.title == "rollback-tui"
    app.session.close()


async def test_without_a_scorecard_the_screen_says_why(rollback_home: Path) -> None:
    app = _app(write_incident(rollback_home))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _debrief(pilot, "scoring unavailable: this build has no drill scorer")
        assert "! scoring unavailable: this build has no drill scorer" in _shown(screen)
        for action in ("export", "timeline", "jump"):
            assert screen.check_action(action, (True,)) is False, action
        await pilot.press("escape")
        await until(pilot, "the closing screen", lambda: isinstance(app.screen, VerifyScreen))
    app.session.close()


# ---- the seam: the app asks tui.app.drill_debrief, which imports the scorer when asked ---------
def _session(home: Path) -> IncidentSession:
    folder = write_incident(home)
    return IncidentSession.attach_post_incident(folder, runbook(), config(folder))


def test_seam_without_the_scorer_says_so(rollback_home: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tui.domain.drill_score", None)  # as if not in the build
    session = _session(rollback_home)
    try:
        found = drill_scorecard(session)
    finally:
        session.close()
    assert isinstance(found, str) and found.startswith("scoring unavailable: this build has no "
                                                       "drill scorer yet")
    assert f"rollback drill score {INCIDENT_ID}" in found
    assert drill_scorecard(None).startswith("scoring unavailable: no incident is open")


def test_seam_passes_the_journal_to_the_scorer(rollback_home: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[Any] = []
    scorer = types.ModuleType("tui.domain.drill_score")
    scorer.score_drill = lambda state, events, book: asked.append((state, events, book)) or \
        good_play()
    monkeypatch.setitem(sys.modules, "tui.domain.drill_score", scorer)
    session = _session(rollback_home)
    try:
        found = drill_scorecard(session)
        state, events, book = asked[0]
        assert isinstance(found, Scorecard) and found == good_play()
        assert state.resolved_at and state.drill and book is session.runbook
        assert [e.type for e in events] == [e.type for e in session.journal_events()]

        def broken(*_args: Any) -> Scorecard:
            raise KeyError("truth")

        scorer.score_drill = broken
        failed = drill_scorecard(session)
    finally:
        session.close()
    assert failed == (f"scoring unavailable: the scorer failed on incident {INCIDENT_ID} "
                      f"(KeyError: 'truth'); `rollback drill score {INCIDENT_ID}` retries it")
