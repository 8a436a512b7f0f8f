"""The communications screen with Pilot on a drill incident: pick a message, edit it, save the
draft, mark it sent, send it to a webhook (a real local HTTP server), a failed send keeping the
draft, and the reminder when a status update is overdue."""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from conftest import REPO
from test_run_headless import SPEED, _params
from test_session import _decide
from textual.widgets import Input, Static, TextArea
from tui_driver import until
from webhook_server import webhook_server

from screens.comms import CommsScreen
from tui.app.application import AppContext, create_app
from tui.app.config import Settings
from tui.app.launch import Opener
from tui.app.paths import resolve_paths
from tui.domain.webhooks import WebhookSetting

TOKEN = "xoxb-TOPSECRET-token"


def _app(info: Any, environ: dict[str, str] | None = None, settings: Settings | None = None,
         clock: Any = time.time) -> Any:
    opener = Opener(resolve_paths(), settings or Settings(actor="alice@drill"),
                    environ={"PATH": "/usr/bin:/bin", **(environ or {})})
    session = opener.new(REPO / "runbooks" / "revert-deployment.yaml",
                         _params(info, "revert-deployment", None), kubeconfig=info.kubeconfig,
                         context="drill", time_scale=SPEED)

    def prepare() -> None:  # outside the test's event loop: the session runs its own
        _decide(session)
        session.run_step("announce", operator_done=True)

    with ThreadPoolExecutor(1) as pool:
        pool.submit(prepare).result()
    app = create_app(AppContext(paths=opener.paths, session=session, opener=opener,
                                clock=clock, live_feeds=False))
    opener.app = app
    return app


def _events(app: Any, kind: str) -> list[dict[str, Any]]:
    path = app.session.folder / "journal.jsonl"
    return [e for line in path.read_text().splitlines() if (e := json.loads(line))["type"] == kind]


def _editor(app: Any) -> TextArea:
    return app.screen.query_one("#comms-draft", TextArea)


async def _open_comms(pilot: Any) -> CommsScreen:
    app = pilot.app
    await until(pilot, "a phase screen", lambda: app.current_mode == "execute")
    await pilot.press("c")
    return await until(pilot, "the communications screen",
                       lambda: app.screen if isinstance(app.screen, CommsScreen) else None)


async def test_pick_edit_save_and_mark_sent(drill, rollback_home: Path) -> None:
    _cluster, info = drill("bad-release", speed=SPEED)
    app = _app(info)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_comms(pilot)
        text = _editor(app).text
        assert text.startswith("[DRILL] Rollback Status Update #1 - ")
        assert "- [X] Step 1: Announce rollback" in text
        assert "Current Activity: Next: step 2: Status page update" in text
        cadence = str(screen.query_one("#comms-cadence", Static).render())
        assert "Status update #1 due in" in cadence and "from the decision" in cadence
        await pilot.press("down")  # the rollback announcement
        await until(pilot, "the announcement", lambda: "ROLLBACK INITIATED" in _editor(app).text)
        await pilot.press("enter")  # into the editor
        assert app.focused is _editor(app)
        _editor(app).move_cursor(_editor(app).document.end)
        await pilot.press("enter", *"Bridge: #war-room")
        assert _editor(app).text.endswith("\nBridge: #war-room")
        await pilot.press("escape", "d")  # back to the list, save the draft
        drafted = await until(pilot, "comms.drafted", lambda: _events(app, "comms.drafted"))
        assert drafted[0]["data"]["template"] == "announcement"
        assert drafted[0]["data"]["text"].endswith("Bridge: #war-room")
        screen.query_one("#comms-channel", Input).value = "[b]#war-room[/b]"  # data, not markup
        await pilot.press("m")
        sent = await until(pilot, "comms.sent", lambda: _events(app, "comms.sent"))
        assert sent[0]["data"] == {"template": "announcement", "channel": "[b]#war-room[/b]",
                                   "text": drafted[0]["data"]["text"], "via": "manual"}
        assert sent[0]["actor"] == "alice@drill"
        assert any(n.message == "Rollback announcement journaled as sent to [b]#war-room[/b]"
                   for n in app._notifications)
        await until(pilot, "the sent list",
                    lambda: "announcement → [b]#war-room[/b]" in str(
                        screen.query_one("#comms-sent", Static).render()))
        await pilot.press("up")  # a status update: sending one restarts the clock
        await until(pilot, "the status update", lambda: "Status Update #1" in _editor(app).text)
        await pilot.press("m")
        await until(pilot, "status update #2 due", lambda: "Status update #2 due in" in str(
            screen.query_one("#comms-cadence", Static).render()))
        assert "Rollback Status Update #2" in _editor(app).text
        await pilot.press("escape")
        await until(pilot, "back on the phase screen",
                    lambda: not isinstance(app.screen, CommsScreen))


async def test_send_to_a_webhook_then_a_failure_keeps_the_draft(drill, rollback_home: Path
                                                                ) -> None:
    _cluster, info = drill("bad-release", speed=SPEED)
    with webhook_server((200, 0.0), (500, 0.0)) as server:
        app = _app(info, {"ROLLBACK_WEBHOOK_CHAT_TOKEN": TOKEN}, Settings(
            actor="alice@drill", webhooks=(WebhookSetting("chat", url=server.url),)))
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await _open_comms(pilot)
            text = _editor(app).text
            await pilot.press("w")
            sent = await until(pilot, "comms.sent", lambda: _events(app, "comms.sent"))
            assert server.received[0].body == {"text": text}
            assert server.received[0].headers["Authorization"] == f"Bearer {TOKEN}"
            assert sent[0]["data"]["via"] == "webhook" and sent[0]["data"]["channel"] == "chat"
            await pilot.press("down")
            await until(pilot, "the announcement",
                        lambda: "ROLLBACK INITIATED" in _editor(app).text)
            _editor(app).insert("EDITED ", (0, 0))
            await pilot.press("w")
            status = await until(pilot, "the failure", lambda: (text := str(
                screen.query_one("#comms-status", Static).render())).startswith("not sent")
                and text)
            assert "not sent after 3 attempt(s): HTTP 500" in status
            assert "the draft is kept" in status and "SECRETPATH" not in status
            await until(pilot, "the failure notice", lambda: any(
                n.message == "not sent: the draft is kept" for n in app._notifications))
            assert _editor(app).text.startswith("EDITED [DRILL] 🚨")
            drafted = _events(app, "comms.drafted")
            assert drafted[-1]["data"]["text"] == _editor(app).text
            assert len(_events(app, "comms.sent")) == 1
    journal = (app.session.folder / "journal.jsonl").read_text()
    assert "SECRETPATH" not in journal and TOKEN not in journal


async def test_an_overdue_update_is_said_on_arrival(drill, rollback_home: Path) -> None:
    _cluster, info = drill("bad-release", speed=SPEED)
    # 20 minutes on the drill's clock, which runs SPEED times faster: 5 past the 15.
    app = _app(info, clock=lambda: time.time() + 20 * 60 / SPEED)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, "a phase screen", lambda: app.current_mode == "execute")
        found = await until(pilot, "the reminder", lambda: [
            n for n in app._notifications if n.title == "Status update"])
        assert found[0].severity == "error"
        assert re.match(r"Status update #1 is [56] minutes overdue — press c", found[0].message)
        bar = app.screen.query_one("#context-bar")
        await until(pilot, "the overdue bar", lambda: bar.has_class("-overdue"))
        assert "OVERDUE 5:" in str(bar.render())
