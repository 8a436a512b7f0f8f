"""How the guided TUI behaves around the work: Ctrl-C stops at a safe point (again: aborts),
q asks before leaving a running step, worker errors become a notification and a journal
entry, a follower changes nothing, the palette lists the screen's actions, the user keymap
applies. Against the drill over real HTTP, driven with Pilot."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO
from test_run_headless import SPEED, _params
from tui_driver import assess, decide, until

from screens.quit import QuitScreen
from screens.stop import StopScreen
from tui.app.application import AppContext, create_app
from tui.app.config import Settings, load_settings
from tui.app.launch import Opener
from tui.app.paths import resolve_paths
from tui.domain.status import StepStatus


def _app(info: Any, *, keymap: dict[str, str] | None = None, follow: str | None = None) -> Any:
    opener = Opener(resolve_paths(), Settings(actor="alice@drill"), environ={})
    if follow is not None:
        session = opener.follow(follow)
    else:
        session = opener.new(REPO / "runbooks" / "revert-deployment.yaml",
                             _params(info, "revert-deployment", None),
                             kubeconfig=info.kubeconfig, context="drill", time_scale=SPEED)
    app = create_app(AppContext(paths=opener.paths, session=session, opener=opener,
                                keymap=keymap or {}, live_feeds=False))
    opener.app = app
    return app


def _events(app: Any) -> list[dict[str, Any]]:
    path = app.session.folder / "journal.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


async def _run_until(pilot: Any, step_id: str) -> None:
    """Run every step before `step_id` (manual ones marked done), then start it."""
    app = pilot.app
    session = app.session
    while (step := session.next_step()) is not None and step.id != step_id:
        # Blocking session work runs off the loop, as the app's workers run it.
        outcome = await asyncio.to_thread(session.run_step, step.id, operator_done=True)
        assert outcome.ok, (step.id, outcome.summary)
    await pilot.pause()


async def _rollout_status_running(pilot: Any) -> Any:
    """Assess, decide, run up to the undo, then start the (slow) rollout status with Enter."""
    app = pilot.app
    await assess(pilot)
    await decide(pilot)
    session = app.session
    session.config.confirmer = lambda _request: True
    await _run_until(pilot, "rollout_undo")
    await asyncio.to_thread(session.run_step, "rollout_undo")
    app.screen.query_one("#steps").move_to("rollout_status")
    await pilot.press("enter")
    await until(pilot, "the rollout status step to run",
                lambda: session.state.step_status("rollout_status") is StepStatus.RUNNING)
    return session


def _slow_drill(drill: Any, tmp_path: Path) -> Any:
    """bad-release whose new pods take long to start: the rollout status keeps waiting."""
    source = (REPO / "tui" / "drill" / "scenarios" / "bad-release.yaml").read_text()
    scenario = tmp_path / "slow.yaml"
    scenario.write_text(source.replace("pod_start_seconds: 3\n", "pod_start_seconds: 200\n"))
    return drill(str(scenario), speed=SPEED)[1]


@pytest.mark.slow
async def test_ctrl_c_stops_at_the_next_safe_point_and_leaves(drill, tmp_path: Path,
                                                             rollback_home: Path) -> None:
    app = _app(_slow_drill(drill, tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        session = await _rollout_status_running(pilot)
        await pilot.press("ctrl+c")
        await until(pilot, "the stop dialog", lambda: isinstance(app.screen, StopScreen))
        await until(pilot, "the step to stop",
                    lambda: session.state.step_status("rollout_status").finished)
    kinds = [e["type"] for e in _events(app)]
    assert "stop.requested" in kinds
    finished = [e["data"] for e in _events(app) if e["type"] == "step.finished"
                and e["data"]["step_id"] == "rollout_status"]
    assert finished[-1]["status"] == "interrupted"
    assert [e["data"] for e in _events(app) if e["type"] == "run.interrupted"] == [
        {"during_step": "rollout_status"}]
    assert app.return_code == 0  # the app left once the step had stopped


@pytest.mark.slow
async def test_q_asks_before_leaving_a_running_step(drill, tmp_path: Path,
                                                    rollback_home: Path) -> None:
    app = _app(_slow_drill(drill, tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        session = await _rollout_status_running(pilot)
        await pilot.press("q")
        await until(pilot, "the question", lambda: isinstance(app.screen, QuitScreen))
        await pilot.press("n")
        await pilot.pause()
        assert session.state.step_status("rollout_status") is StepStatus.RUNNING
        assert "stop.requested" not in [e["type"] for e in _events(app)]
        # Textual's own quit (its palette command, its default key) asks the same question.
        await app.run_action("quit")
        await until(pilot, "the question (quit)", lambda: isinstance(app.screen, QuitScreen))
        await pilot.press("n")
        await pilot.pause()
        assert session.state.step_status("rollout_status") is StepStatus.RUNNING
        await pilot.press("q")
        await until(pilot, "the question again", lambda: isinstance(app.screen, QuitScreen))
        await pilot.press("y")
        await until(pilot, "the step to stop",
                    lambda: session.state.step_status("rollout_status").finished)
    assert "stop.requested" in [e["type"] for e in _events(app)]


async def test_a_failing_worker_is_a_notification_and_a_journal_entry(
        drill, rollback_home: Path) -> None:
    _cluster, info = drill("bad-release", speed=SPEED)
    app = _app(info)
    async with app.run_test(size=(120, 40)) as pilot:
        session = app.session

        def broken() -> None:
            raise OSError("disk on fire")

        app.run_in_session("save the world", broken)
        await until(pilot, "the warning in the journal",
                    lambda: session.state.warnings)
        assert any("save the world failed: disk on fire" in n.message
                   for n in app._notifications)
    assert "save the world failed: disk on fire" in session.state.warnings[-1]


async def test_a_follower_changes_nothing_and_says_who_holds_it(drill,
                                                               rollback_home: Path) -> None:
    _cluster, info = drill("bad-release", speed=SPEED)
    writer = _app(info)
    incident = writer.session.incident_id
    follower = _app(info, follow=incident)
    async with follower.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        assert follower.session.read_only
        screen = follower.screen
        assert screen.check_action("note", ()) is False
        assert screen.check_action("record", ()) is False
        await asyncio.to_thread(writer.session.note, "the holder wrote this")
        await until(pilot, "the note to reach the follower",
                    lambda: follower.session.state.notes)
        bar = screen.query_one("#context-bar")
        assert bar.info.read_only and bar.info.held_by
    writer.session.close()


async def test_the_palette_lists_the_screen_actions_and_the_keymap_applies(
        drill, rollback_home: Path) -> None:
    _cluster, info = drill("bad-release", speed=SPEED)
    app = _app(info, keymap={"note": "N", "timeline": "T"})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert any(t.startswith("Record assessment") for t in titles), titles
        assert any(t.startswith("Note (N)") for t in titles), titles
        assert "Quit" not in titles and any(t.startswith("Quit (") for t in titles), titles
        # Under each command, what it does (its action's doc), not its name again.
        helps = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert helps["Comms (c)"].startswith("Status updates and notices: fill, edit, copy")
        assert helps["Note (N)"] == "Add a note to the incident (journaled)."
        app.screen.query_one("#pods").focus()  # not an input: keys are commands
        await pilot.press("N")
        await until(pilot, "the note dialog", lambda: type(app.screen).__name__ ==
                    "TextEntryScreen")


def test_the_settings_file_takes_a_keymap(rollback_home: Path) -> None:
    config = rollback_home / "config" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("keymap:\n  note: N\n  stop: ctrl+x\ntheme: textual-light\n"
                      "production_pattern: '^prd-'\n")
    settings = load_settings(config)
    assert dict(settings.keymap) == {"note": "N", "stop": "ctrl+x"}
    assert settings.theme == "textual-light" and settings.production_pattern == "^prd-"
