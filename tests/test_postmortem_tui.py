"""The post-incident screen with Pilot on a resolved incident: `p` from the closing screen
and from the start screen; whys, causes, lessons, measures, action items (added — a bad date
refused —, marked done, removed), criteria, a text section, completion — each checked in the
journal; a follower cannot write; the deadlines on the closing and start screens."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from postmortem_incident import config, runbook, write_incident
from textual.widgets import Input, OptionList, TabbedContent, TextArea
from tui_driver import type_text, until
from widgets_scenario import ACTOR, INCIDENT_ID, epoch_at

from screens.postmortem import PostmortemScreen
from screens.start import StartScreen, entry_text
from screens.verify import VerifyScreen
from tui.adapters.journal import read_journal
from tui.app.application import AppContext, create_app
from tui.session.session import IncidentSession
from widgets.action_items import ActionItems
from widgets.choice import TickList
from widgets.line_list import LineList

NOW = "23:32:00"  # 19 h after the resolution at 04:32: report due in 5h, postmortem in 29h


def _app(folder: Path, *, follow: bool = False, now: str = NOW) -> Any:
    session = (IncidentSession.follow(folder, runbook(), config(folder)) if follow else
               IncidentSession.attach_post_incident(folder, runbook(), config(folder)))
    clock = epoch_at(now)
    return create_app(AppContext(session=session, clock=lambda: clock, live_feeds=False))


def _updates(folder: Path, since: int = 0) -> list[tuple[str, str, dict[str, Any]]]:
    return [(e.type, e.actor, e.data) for e in read_journal(folder).events[since:]
            if e.type in ("postmortem.updated", "check.recorded")]


def _text(widget: Any) -> str:
    return str(widget.render())


async def _journaled(pilot: Any, folder: Path, since: int, count: int) -> list[Any]:
    return await until(pilot, f"{count} journaled change(s)",
                       lambda: (found := _updates(folder, since)) and len(found) >= count
                       and found, timeout=10)


async def test_the_record_from_the_verify_screen(rollback_home: Path) -> None:
    folder = write_incident(rollback_home)
    start = len(read_journal(folder).events)
    app = _app(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, VerifyScreen)
        line = app.screen.query_one("#post-incident")
        assert _text(line) == "Post-incident: report due in 5h · postmortem due in 29h"
        await pilot.press("p")
        screen = await until(pilot, "the post-incident screen",
                             lambda: isinstance(app.screen, PostmortemScreen) and app.screen)
        tabs = screen.query_one(TabbedContent)
        await pilot.press("right", "right")  # the tab bar has focus: Summary → Report → Whys
        assert tabs.active == "tab-whys"

        whys = next(w for w in screen.query(LineList) if w.key == "five_whys")
        whys.query_one(Input).focus()
        await type_text(pilot, "the connection pool was exhausted")
        await pilot.press("enter")
        assert await _journaled(pilot, folder, start, 1) == [("postmortem.updated", ACTOR, {
            "section": "five_whys", "value": ["the connection pool was exhausted"]})]

        tabs.active = "tab-actions"
        await pilot.pause()
        items = screen.query_one(ActionItems)
        items.query_one("#action-text", Input).focus()
        await type_text(pilot, "load-test the payment client")
        await pilot.press("tab")
        await type_text(pilot, "bob")
        await pilot.press("tab")
        await type_text(pilot, "2026-13-45")
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert "due date '2026-13-45' is not a date: use YYYY-MM-DD" in \
            _text(items.query_one("#action-problem"))
        assert len(_updates(folder, start)) == 1  # refused: nothing journaled
        due = items.query_one("#action-due", Input)
        due.value = ""
        await type_text(pilot, "2026-12-04")
        await pilot.press("enter")
        added = (await _journaled(pilot, folder, start, 2))[1]
        assert added == ("postmortem.updated", ACTOR, {"section": "action_items", "value": [
            {"text": "load-test the payment client", "owner": "bob", "due": "2026-12-04",
             "done": False}]})
        await until(pilot, "the item listed", lambda: len(items.items) == 1)

        tabs.active = "tab-re-release"
        await pilot.pause()
        screen.query_one("#pm-criteria", TickList).focus()
        await pilot.press("space")
        assert (await _journaled(pilot, folder, start, 3))[2] == (
            "postmortem.updated", ACTOR, {"section": "re_release",
                                          "value": {"root_cause_fixed": True}})

        tabs.active = "tab-report"
        await pilot.pause()
        screen.query_one("#text-user_impact", TextArea).focus()
        await type_text(pilot, "12% of checkouts failed")
        await pilot.press("tab")  # leaving the field journals it
        assert (await _journaled(pilot, folder, start, 4))[3] == (
            "postmortem.updated", ACTOR, {"section": "user_impact",
                                          "value": "12% of checkouts failed"})

        await pilot.press("ctrl+r")
        assert (await _journaled(pilot, folder, start, 5))[4] == (
            "postmortem.updated", ACTOR, {"section": "status", "value": "complete"})
        await until(pilot, "the header to say COMPLETE",
                    lambda: "COMPLETE · report due in 5h · postmortem done" in
                    _text(screen.query_one("#pm-header")))
        await pilot.press("escape")
        await until(pilot, "the verify screen", lambda: isinstance(app.screen, VerifyScreen))
        assert _text(app.screen.query_one("#post-incident")) == \
            "Post-incident: report due in 5h · postmortem done"
    app.session.close()


async def test_completion_is_refused_until_the_record_has_its_parts(rollback_home: Path
                                                                   ) -> None:
    folder = write_incident(rollback_home)
    before = len(read_journal(folder).events)
    app = _app(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("p")
        await until(pilot, "the post-incident screen",
                    lambda: isinstance(app.screen, PostmortemScreen))
        await pilot.press("ctrl+r")
        await until(pilot, "a notification", lambda: any(
            "cannot be marked complete yet" in n.message for n in app._notifications))
    assert len(read_journal(folder).events) == before
    app.session.close()


async def test_the_post_rollback_report_tick_meets_the_report_deadline(rollback_home: Path
                                                                      ) -> None:
    folder = write_incident(rollback_home)
    start = len(read_journal(folder).events)
    app = _app(folder, now="06:00:00")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("p")
        screen = await until(pilot, "the post-incident screen",
                             lambda: isinstance(app.screen, PostmortemScreen) and app.screen)
        ticks = screen.query_one("#pm-post-rollback", TickList)
        assert ticks.get_option_at_index(0).value == "incident_report"
        ticks.focus()
        await pilot.press("space")
        assert await _journaled(pilot, folder, start, 1) == [("check.recorded", ACTOR, {
            "item_id": "incident_report", "status": "pass", "note": ""})]
        await until(pilot, "the report done", lambda: "report done · postmortem due in 46h"
                    in _text(screen.query_one("#pm-header")))
    app.session.close()


async def test_a_follower_sees_the_record_but_cannot_write_it(rollback_home: Path) -> None:
    folder = write_incident(rollback_home, extra=[("05:00:00", "postmortem.updated", {
        "section": "five_whys", "value": ["the pool was exhausted"]})])
    before = len(read_journal(folder).events)
    app = _app(folder, follow=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("p")
        screen = await until(pilot, "the post-incident screen",
                             lambda: isinstance(app.screen, PostmortemScreen) and app.screen)
        assert "READ-ONLY" in _text(screen.query_one("#pm-header"))
        whys = next(w for w in screen.query(LineList) if w.key == "five_whys")
        assert whys.rows == (("Root Cause:", "the pool was exhausted"),)
        assert whys.query_one(Input).disabled
        assert all(area.read_only for area in screen.query(TextArea))
        assert screen.check_action("complete", ()) is False
        await pilot.press("ctrl+r")
        await pilot.pause(0.2)
    assert len(read_journal(folder).events) == before
    app.session.close()


def _start_app(home: Path, monkeypatch: Any, clock: float) -> Any:
    """The app on its start screen, opening incidents under `home` as the operator."""
    monkeypatch.setenv("KUBECONFIG", str(home / "no-kubeconfig"))
    from tui.app.config import Settings
    from tui.app.launch import Opener
    from tui.app.paths import resolve_paths

    opener = Opener(resolve_paths(), Settings(actor=ACTOR), environ=dict(os.environ))
    return create_app(AppContext(paths=opener.paths, clock=lambda: clock, live_feeds=False,
                                 opener=opener))


async def test_the_start_screen_shows_the_deadlines(rollback_home: Path, monkeypatch: Any
                                                    ) -> None:
    write_incident(rollback_home)
    # A day and six hours after the resolution.
    app = _start_app(rollback_home, monkeypatch, epoch_at("04:32:00") + 30 * 3600)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, StartScreen)
        entry = await until(pilot, "the incident's details", lambda: next(
            (e for e in screen.entries if e.key == INCIDENT_ID and e.detail != "…"), None))
    assert entry.kind == "closed" and entry.late
    assert "PARTIAL  report OVERDUE by 6h · postmortem due in 18h  checkout 2.4.0" in \
        entry.detail
    assert entry_text(entry).spans[-1].style == "bold"


async def test_p_on_a_closed_incident_of_the_start_screen_opens_its_record(
        rollback_home: Path, monkeypatch: Any) -> None:
    folder = write_incident(rollback_home)
    start = len(read_journal(folder).events)
    app = _start_app(rollback_home, monkeypatch, epoch_at(NOW))
    async with app.run_test(size=(120, 40)) as pilot:
        menu = app.screen.query_one("#start-menu", OptionList)
        await until(pilot, "the closed incident highlighted", lambda: menu.highlighted_option
                    is not None and menu.highlighted_option.id == f"closed:{INCIDENT_ID}")
        assert app.screen.check_action("post_incident", ()) is True
        await pilot.press("p")
        screen = await until(pilot, "the post-incident screen",
                             lambda: isinstance(app.screen, PostmortemScreen) and app.screen)
        assert screen.writable
        assert "report due in 5h · postmortem due in 29h" in _text(
            screen.query_one("#pm-header"))
        screen.query_one(TabbedContent).active = "tab-lessons"
        await pilot.pause()
        went_well = next(w for w in screen.query(LineList) if w.key == "went_well")
        went_well.query_one(Input).focus()
        await type_text(pilot, "the rollback took four minutes")
        await pilot.press("enter")
        assert await _journaled(pilot, folder, start, 1) == [("postmortem.updated", ACTOR, {
            "section": "went_well", "value": ["the rollback took four minutes"]})]
        await until(pilot, "the lesson listed",
                    lambda: went_well.rows == (("•", "the rollback took four minutes"),))
        await pilot.press("escape")
        await until(pilot, "the closing screen", lambda: isinstance(app.screen, VerifyScreen))
    app.session.close()


async def test_causes_measures_and_action_items_by_keys(rollback_home: Path) -> None:
    folder = write_incident(rollback_home, extra=[("05:00:00", "postmortem.updated", {
        "section": "action_items", "value": [
            {"text": "add a config check to CI", "owner": "bob", "due": "2026-12-04",
             "done": False},
            {"text": "page on crash-loops", "owner": "carol", "due": "2026-11-29",
             "done": False}]})])
    start = len(read_journal(folder).events)
    app = _app(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("p")
        screen = await until(pilot, "the post-incident screen",
                             lambda: isinstance(app.screen, PostmortemScreen) and app.screen)
        tabs = screen.query_one(TabbedContent)
        tabs.active = "tab-fishbone"
        await pilot.pause()
        process = next(w for w in screen.query(LineList) if w.key == "fishbone:process")
        process.query_one(Input).focus()
        await type_text(pilot, "no config check before release")
        await pilot.press("enter")
        assert (await _journaled(pilot, folder, start, 1))[0][2] == {
            "section": "fishbone", "value": {"process": ["no config check before release"]}}

        tabs.active = "tab-prevention"
        await pilot.pause()
        screen.query_one("#pm-measures", TickList).focus()
        await pilot.press("down", "space")  # the second common measure
        assert (await _journaled(pilot, folder, start, 2))[1][2] == {
            "section": "prevention", "value": ["Additional quality gates"]}
        own = next(w for w in screen.query(LineList) if w.key == "prevention")
        own.query_one(Input).focus()
        await type_text(pilot, "config schema validated at build")
        await pilot.press("enter")
        assert (await _journaled(pilot, folder, start, 3))[2][2] == {
            "section": "prevention",
            "value": ["Additional quality gates", "config schema validated at build"]}
        await until(pilot, "only our own measure listed", lambda: own.rows == (
            ("•", "config schema validated at build"),))
        own.query_one(OptionList).focus()
        await pilot.press("delete")  # takes out ours, not the ticked common one
        assert (await _journaled(pilot, folder, start, 4))[3][2] == {
            "section": "prevention", "value": ["Additional quality gates"]}

        tabs.active = "tab-actions"
        await pilot.pause()
        items = screen.query_one(ActionItems)
        assert "2. page on crash-loops — carol — due 2026-11-29 OVERDUE" in str(
            items.query_one(OptionList).get_option_at_index(1).prompt)
        items.query_one(OptionList).focus()
        await pilot.pause()
        assert items.highlighted == 0 and screen.active_bindings["space"].enabled
        await pilot.press("down", "space")
        marked = (await _journaled(pilot, folder, start, 5))[4][2]["value"]
        assert [item["done"] for item in marked] == [False, True]
        await until(pilot, "the item shown done", lambda: items.items[1].done)
        await pilot.press("up", "delete")
        left = (await _journaled(pilot, folder, start, 6))[5][2]["value"]
        assert [item["text"] for item in left] == ["page on crash-loops"]
    app.session.close()
