"""Every screen of the guided TUI at 120×40 and 80×24, in dark and light, on one incident of
the bad-release drill (journal written with fixed times; feeds given fixed data)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import test_widgets_metric_panel as metric_data
import widget_pods
from test_widgets_metric_panel import bad_release_views
from widget_pods import REPLICASETS, listed, rollback_progress
from widgets_scenario import (
    ACTOR,
    INCIDENT_ID,
    ROOT,
    epoch_at,
    execution_events,
    verification_events,
)

from screens.confirm_step import ConfirmStepScreen
from screens.help import HelpScreen
from tui.adapters.journal import JournalWriter
from tui.app.application import AppContext, DrillHandle, create_app
from tui.domain.metrics import Mark
from tui.domain.runbook import validate_runbook
from tui.session.core import SessionConfig, runbook_digest
from tui.session.session import IncidentSession

RUNBOOK_PATH = ROOT / "runbooks" / "revert-deployment.yaml"
SIZES = {"wide": (120, 40), "narrow": (80, 24)}
THEMES = ("textual-dark", "textual-light")


def _events(upto: str) -> list[tuple[str, str, dict[str, Any]]]:
    events = execution_events()
    opened = events[0][2]
    opened.update(runbook_sha256=runbook_digest(RUNBOOK_PATH.read_bytes()),
                  runbook_source=str(RUNBOOK_PATH))
    if upto == "assessed":
        return events[:2]
    if upto == "executing":
        return events
    # Every automatic item judged (else the screen would evaluate them on arrival).
    rest = [("04:31:00", "check.recorded", {"item_id": "traffic_normal", "status": "pass",
                                            "note": "request_rate 40.000 ≥ threshold 1.000",
                                            "automatic": True})]
    return events + verification_events() + rest


def _incident(home: Path, upto: str) -> Path:
    folder = home / "data" / "incidents" / INCIDENT_ID
    moment = {"now": 0.0}
    writer = JournalWriter(folder, actor=ACTOR, clock=lambda: moment["now"]).open()
    for clock, kind, data in _events(upto):
        moment["now"] = epoch_at(clock)
        writer.append_durable(kind, data)
    writer.close()
    return folder


def _app(home: Path, upto: str, now: str, theme: str, **config: Any) -> Any:
    folder = _incident(home, upto)
    runbook = validate_runbook(RUNBOOK_PATH.read_bytes(), str(RUNBOOK_PATH)).runbook
    settings = SessionConfig(incidents_dir=folder.parent, actor=ACTOR, **config)
    session = IncidentSession.resume(folder, runbook, RUNBOOK_PATH.read_bytes(), settings,
                                     announce=False)
    clock = epoch_at(now)
    drill = DrillHandle("bad-release", "/tmp/rollback-drill/kubeconfig", "http://127.0.0.1:1",
                        "/tmp/rollback-drill/kube-cache", lambda: None,
                        "checkout 2.4.0 (revision 3) crash-loops and fails ~12% of requests")
    return create_app(AppContext(session=session, clock=lambda: clock, live_feeds=False,
                                 theme=theme, drill=drill))


def _feeds(app: Any, now: str) -> None:
    """Pods, rollout and metrics as the feeds would give them mid-rollback."""
    # The helpers' data is built around their own clocks: move it to this screen's moment.
    shift = epoch_at(now) - widget_pods.NOW
    rows = [replace(p, created=(p.created or 0) + shift,
                    last_restart=p.last_restart + shift if p.last_restart else None)
            for p in widget_pods.rollback_rows()]
    app.revisions = {rs.pod_template_hash: rs for rs in REPLICASETS}
    app.pods = listed(rows)
    app.rollouts = (rollback_progress(),)
    views = bad_release_views()
    offset = epoch_at(now) - metric_data.NOW
    app.metrics = {name: _moved(view, offset) for name, view in views.items()}


def _moved(view: Any, offset: float) -> Any:
    return replace(view, points=tuple((t + offset, v) for t, v in view.points),
                   marks=tuple(Mark(m.at + offset, m.label) for m in view.marks),
                   updated_at=(view.updated_at or 0) + offset)


def _run_before(mode: str, now: str, then: Callable[[Any], Any] | None = None) -> Any:
    async def before(pilot: Any) -> None:
        app = pilot.app
        app.switch_mode(mode)
        await pilot.pause()
        _feeds(app, now)
        if then is not None:
            then(app)
            await pilot.pause()
        # A blinking cursor would make the picture depend on when it is taken.
        for field in app.screen.query("Input"):
            field.cursor_blink = False
        await pilot.pause(0.3)
    return before


PHASES = {
    "assess": ("assessed", "04:14:10"),
    "execute": ("executing", "04:26:37"),
    "verify": ("verified", "04:31:30"),
}


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("mode", PHASES)
def test_phase_screens(mode: str, size: str, theme: str, snap_compare, rollback_home: Path
                       ) -> None:
    upto, now = PHASES[mode]
    app = _app(rollback_home, upto, now, theme)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=_run_before(mode, now))


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
def test_decision_screen(size: str, theme: str, snap_compare, drill, rollback_home: Path
                         ) -> None:
    # The rollout history comes from a real drill cluster: its revisions are the scenario's.
    _cluster, info = drill("bad-release", speed=20)
    app = _app(rollback_home, "assessed", "04:20:31", theme, kubeconfig=info.kubeconfig)

    async def before(pilot: Any) -> None:
        await _run_before("decide", "04:20:31")(pilot)
        deadline = 200
        while deadline and not pilot.app.screen.query_one("#target-rollout_undo").rows:
            await pilot.pause(0.05)
            deadline -= 1
        await pilot.pause(0.5)

    assert snap_compare(app, terminal_size=SIZES[size], run_before=before)


def _confirm(app: Any) -> None:
    session = app.session
    request = session.confirmation_for(session.step("rollout_undo"))
    app.push_screen(ConfirmStepScreen(request))


def _help(app: Any) -> None:
    app.push_screen(HelpScreen(app.screen, app.context.drill))


def _manual(app: Any) -> None:
    from screens.manual_step import ManualStepScreen

    session = app.session
    step = session.step("announce")
    app.push_screen(ManualStepScreen(step, "Post to the team chat.",
                                     str(step.args.get("message", "")), None))


def _timeline(app: Any) -> None:
    from screens.timeline import TimelineScreen

    app.push_screen(TimelineScreen(app.timeline))


DIALOGS = {"confirm": _confirm, "help": _help, "manual": _manual, "timeline": _timeline}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dialog", DIALOGS)
def test_dialogs(dialog: str, size: str, snap_compare, rollback_home: Path) -> None:
    app = _app(rollback_home, "executing", "04:26:37", "textual-dark")
    assert snap_compare(app, terminal_size=SIZES[size],
                        run_before=_run_before("execute", "04:26:37", DIALOGS[dialog]))


@pytest.mark.parametrize("size", SIZES)
def test_start_screen(size: str, snap_compare, rollback_home: Path, tmp_path: Path,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    _incident(rollback_home, "executing")
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\ncurrent-context: kind-prod\n"
                          "contexts:\n- name: kind-prod\n  context: {cluster: a, user: a}\n"
                          "- name: staging\n  context: {cluster: b, user: b}\n")
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    from tui.app.config import Settings
    from tui.app.launch import Opener
    from tui.app.paths import resolve_paths

    opener = Opener(resolve_paths(), Settings(actor=ACTOR), environ=dict(os.environ))
    clock = epoch_at("04:40:00")
    app = create_app(AppContext(paths=opener.paths, clock=lambda: clock, live_feeds=False,
                                opener=opener))

    async def before(pilot: Any) -> None:
        await pilot.pause(0.3)
        for field in pilot.app.screen.query("Input"):
            field.cursor_blink = False

    assert snap_compare(app, terminal_size=SIZES[size], run_before=before)



@pytest.mark.parametrize("width", [100, 101, 104, 110])
@pytest.mark.parametrize("mode", PHASES)
async def test_every_panel_fits_just_above_the_narrow_width(mode: str, width: int,
                                                           rollback_home: Path) -> None:
    """From 100 columns up the work and the evidence sit side by side, neither cut off."""
    upto, now = PHASES[mode]
    app = _app(rollback_home, upto, now, "textual-dark")
    async with app.run_test(size=(width, 30)) as pilot:
        app.switch_mode(mode)
        await pilot.pause()
        _feeds(app, now)
        await pilot.pause(0.2)
        for part in ("#work", "#evidence"):
            region = app.screen.query_one(part).region
            assert region.width > 0 and region.right <= width, (part, region)
