"""The drill debrief at 120×40 and 80×24: a good play (95, no anti-pattern), a bad play (25, five
anti-patterns with their evidence, a scorer's warning) from the top and scrolled to the
anti-patterns and the whole timeline, in the light theme too, and the screen when the drill could not be scored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from debrief_cards import bad_play, good_play
from postmortem_incident import config, runbook, write_incident
from widgets_scenario import epoch_at

from screens.debrief import DebriefScreen
from tui.app.application import AppContext, create_app
from tui.session.session import IncidentSession

SIZES = {"wide": (120, 40), "narrow": (80, 24)}
UNSCORED = ("scoring unavailable: this build has no drill scorer yet (tui.domain.drill_score); "
            "the journal keeps everything it needs")
VIEWS = {  # scorecard, keys pressed on the debrief, theme
    "good": (good_play, (), "textual-dark"),
    "bad": (bad_play, (), "textual-dark"),
    "bad-light": (bad_play, (), "textual-light"),
    "bad-anti-patterns": (bad_play, ("a",), "textual-dark"),
    "bad-whole-timeline": (bad_play, ("t",), "textual-dark"),
    "unscored": (lambda: UNSCORED, (), "textual-dark"),
}


def _app(home: Path, theme: str) -> Any:
    """The resolved bad-release drill incident, opened for its post-incident work."""
    folder = write_incident(home)
    session = IncidentSession.attach_post_incident(folder, runbook(), config(folder))
    now = epoch_at("05:00:00")
    return create_app(AppContext(session=session, clock=lambda: now, live_feeds=False,
                                 theme=theme))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("view", VIEWS)
def test_debrief_screen(view: str, size: str, snap_compare, rollback_home: Path) -> None:
    make, keys, theme = VIEWS[view]

    async def before(pilot: Any) -> None:
        pilot.app.push_screen(DebriefScreen(make()))
        await pilot.pause()
        assert isinstance(pilot.app.screen, DebriefScreen)
        for key in keys:
            await pilot.press(key)
        await pilot.pause(0.3)

    app = _app(rollback_home, theme)
    try:
        assert snap_compare(app, terminal_size=SIZES[size], run_before=before)
    finally:
        app.session.close()
