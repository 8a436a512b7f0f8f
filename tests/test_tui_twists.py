"""The facilitator key in a drill, with Pilot against the drill cluster over real HTTP: ctrl+f
offers the drill's twists, the pick fires in the drill and lands in the journal, the timeline
and a toast; a twist the drill fires on its own arrives the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import REPO
from test_run_headless import SPEED, _params
from tui_driver import until

from tui.app.application import AppContext, create_app
from tui.app.config import Settings
from tui.app.launch import Opener
from tui.app.paths import resolve_paths


def _app(info: Any) -> Any:
    opener = Opener(resolve_paths(), Settings(actor="alice@drill"),
                    environ={"PATH": "/usr/bin:/bin"})
    session = opener.new(REPO / "runbooks" / "revert-deployment.yaml",
                         _params(info, "revert-deployment", None), kubeconfig=info.kubeconfig,
                         context="drill", time_scale=SPEED)
    app = create_app(AppContext(paths=opener.paths, session=session, opener=opener))
    opener.app = app
    return app


def _twist_lines(app: Any) -> list[str]:
    return [e.text for e in app.timeline if e.text.startswith("TWIST ")]


async def test_facilitator_key_fires_a_twist_that_reaches_the_timeline(drill, rollback_home: Path
                                                                       ) -> None:
    from textual.widgets import OptionList

    from screens.twist_picker import TwistPickerScreen

    cluster, info = drill("bad-release", speed=SPEED)
    app = _app(info)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, "the drill connection", lambda: app.session.state.drill)
        palette = [c.title for c in app.get_system_commands(app.screen)]
        assert "Fire a twist (drill) (^f)" in palette
        await pilot.press("ctrl+f")
        picker = await until(pilot, "the twist dialog",
                             lambda: isinstance(app.screen, TwistPickerScreen) and app.screen)
        options = picker.query_one(OptionList)
        assert options.option_count == 6
        while options.get_option_at_index(options.highlighted or 0).id != "user-reports":
            await pilot.press("down")
        await pilot.press("enter")
        await until(pilot, "the twist in the timeline", lambda: _twist_lines(app))
        assert _twist_lines(app)[0].startswith("TWIST user-reports: 5 user reports arrive")
        assert [t["source"] for t in cluster.twists.fired] == ["facilitator"]
        toasts = [n.title for n in app._notifications]
        assert "Twist: user-reports" in toasts
        # The reports themselves reach the operator as a warning.
        assert any(w.startswith("5 user reports arrived: ") for w in app.session.state.warnings)

        # A twist the drill fires by itself (a schedule, `rollback drill twist`) arrives too.
        cluster.twists.fire("prometheus-down", "schedule")
        await until(pilot, "the second twist", lambda: len(_twist_lines(app)) == 2, timeout=15)
        assert _twist_lines(app)[1].endswith("(schedule)")
    twists = app.session.state.twists
    assert [(t["seq"], t["event"]) for t in twists] == [(1, "user-reports"),
                                                         (2, "prometheus-down")]
