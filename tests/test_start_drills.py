"""The start screen's drills with Pilot: a user scenario is listed beside the shipped ones and
opens the speed prompt; an invalid one is marked INVALID with its first problem and refuses to
start, saying why."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from test_drill_truth import BASE
from textual.widgets import OptionList
from tui_driver import until
from widgets_scenario import ACTOR

from screens.start import StartScreen
from screens.text_entry import TextEntryScreen
from tui.app.application import AppContext, create_app
from tui.drill.scenario import scenario_files

# The truth names a deployment the scenario does not have, and no strategy for a rollback.
BROKEN_TRUTH = ("truth:\n  decision: ROLLBACK\n  severity: P1\n  why: w\n"
                "  targets: [{namespace: production, deployment: cart, revision: 1}]\n")


def _scenario(scenario_id: str, description: str) -> str:
    return BASE.replace("id: t", f"id: {scenario_id}").replace(
        "description: a truth under test", f"description: {description}")


def _user_scenarios(home: Path) -> Path:
    folder = home / "config" / "scenarios"
    folder.mkdir(parents=True)
    (folder / "my-own.yaml").write_text(_scenario("my-own", "checkout 2.0 at noon"))
    (folder / "broken.yaml").write_text(_scenario("broken", "b") + BROKEN_TRUTH)
    return folder


def _start_app(home: Path, monkeypatch: Any) -> Any:
    monkeypatch.setenv("KUBECONFIG", str(home / "no-kubeconfig"))
    from tui.app.config import Settings
    from tui.app.launch import Opener
    from tui.app.paths import resolve_paths

    opener = Opener(resolve_paths(), Settings(actor=ACTOR), environ=dict(os.environ))
    return create_app(AppContext(paths=opener.paths, clock=lambda: 0.0, live_feeds=False,
                                 opener=opener))


async def _choose(pilot: Any, option_id: str) -> None:
    menu = pilot.app.screen.query_one("#start-menu", OptionList)
    menu.highlighted = menu.get_option_index(option_id)
    await pilot.pause()
    await pilot.press("enter")


async def test_user_scenarios_are_listed_and_an_invalid_one_cannot_start(
        rollback_home: Path, monkeypatch: Any) -> None:
    folder = _user_scenarios(rollback_home)
    app = _start_app(rollback_home, monkeypatch)
    async with app.run_test(size=(120, 50)) as pilot:
        screen = app.screen
        assert isinstance(screen, StartScreen)
        drills = await until(pilot, "the drills' details", lambda: (found := {
            e.key: e for e in screen.entries if e.kind == "drill"}) and all(
            e.detail for e in found.values()) and found)
        assert set(drills) == {p.stem for p in scenario_files()} | {"my-own", "broken"}
        assert drills["my-own"].detail == "checkout 2.0 at noon (user)"
        assert not drills["my-own"].problem
        assert drills["bad-release"].detail.startswith("checkout 2.4.0")  # shipped: as before
        broken = drills["broken"]
        assert broken.detail == f"INVALID: {broken.problem}"
        assert broken.problem.startswith(f"{folder / 'broken.yaml'}:16:3: missing strategy")

        await _choose(pilot, "drill:broken")
        await pilot.pause(0.2)
        assert isinstance(app.screen, StartScreen)  # no speed prompt: nothing starts
        said = [str(n.message) for n in app._notifications]
        assert any(m.startswith("the broken drill cannot start: " + broken.problem)
                   for m in said), said

        await _choose(pilot, "drill:my-own")
        prompt = await until(pilot, "the speed prompt",
                             lambda: isinstance(app.screen, TextEntryScreen) and app.screen)
        assert prompt.title_text == "Drill my-own"
        await pilot.press("escape")
        await until(pilot, "back on the start screen", lambda: app.screen is screen)
