"""The post-incident screen at 120×40 and 80×24 on the resolved drill incident with a record
half written (whys, causes, lessons, action items — one overdue — and two criteria met): the
summary, the five whys, the action items, and the summary once the report is overdue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from postmortem_incident import config, runbook, write_incident
from textual.widgets import TabbedContent
from widgets_scenario import epoch_at

from screens.postmortem import PostmortemScreen
from tui.app.application import AppContext, create_app
from tui.session.session import IncidentSession

SIZES = {"wide": (120, 40), "narrow": (80, 24)}
RECORD = [
    ("issue_description", "checkout 2.4.0 crash-looped: a config key it needs was missing"),
    ("five_whys", ["checkout 2.4.0 crash-looped on start",
                   "it read a config key production did not have",
                   "the key was added in staging by hand, not in the release"]),
    ("fishbone", {"process": ["config changes are not part of the release checklist"],
                  "technology": ["no startup check of required config"]}),
    ("went_well", ["the rollback took four minutes from the decision"]),
    ("to_improve", ["the crash-loop alert fired after ten minutes"]),
    ("action_items", [
        {"text": "check required config at startup", "owner": "bob", "due": "2026-12-04",
         "done": False},
        {"text": "page on crash-loops within two minutes", "owner": "carol",
         "due": "2026-11-29", "done": False},
        {"text": "add config to the release notes template", "owner": "dave",
         "due": "2026-12-01", "done": True}]),
    ("prevention", ["Additional quality gates", "config schema validated at build"]),
    ("re_release", {"root_cause_fixed": True, "code_review": True}),
]
VIEWS = {  # tab, clock
    "summary": ("tab-summary", "23:32:00"),  # 19 h after the resolution
    "whys": ("tab-whys", "23:32:00"),
    "actions": ("tab-actions", "23:32:00"),
    "overdue": ("tab-summary", "23:59:59"),
}


def _app(home: Path, now: float) -> Any:
    folder = write_incident(home, extra=[
        ("05:00:00", "postmortem.updated", {"section": section, "value": value})
        for section, value in RECORD])
    session = IncidentSession.attach_post_incident(folder, runbook(), config(folder))
    return create_app(AppContext(session=session, clock=lambda: now, live_feeds=False))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("view", VIEWS)
def test_post_incident_screen(view: str, size: str, snap_compare, rollback_home: Path) -> None:
    tab, clock = VIEWS[view]
    # The overdue view is a day and a half after the resolution.
    now = epoch_at(clock) + (12 * 3600 if view == "overdue" else 0)

    async def before(pilot: Any) -> None:
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(pilot.app.screen, PostmortemScreen)
        pilot.app.screen.query_one(TabbedContent).active = tab
        for field in pilot.app.screen.query("Input"):
            field.cursor_blink = False
        await pilot.pause(0.3)

    app = _app(rollback_home, now)
    try:
        assert snap_compare(app, terminal_size=SIZES[size], run_before=before)
    finally:
        app.session.close()
