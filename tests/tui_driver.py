"""Driving the guided TUI with Pilot as an operator would, for the flow tests: fill the
assessment, record the decision, run each step (confirming, typing names, doing manual steps),
tick the checklist and close the incident."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, RadioSet

from screens.confirm_step import ConfirmStepScreen
from screens.execute import ExecuteScreen
from screens.manual_step import ManualStepScreen
from screens.text_entry import TextEntryScreen
from tui.app.application import RollbackApp
from tui.domain.status import CheckStatus, Phase


async def until(pilot: Pilot[Any], what: str, check: Callable[[], Any],
                timeout: float = 60.0) -> Any:
    """Let the app run until `check()` is truthy; fail naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what} "
                                 f"(screen {type(pilot.app.screen).__name__})")
        await pilot.pause(0.05)


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Type like a person (one key per character)."""
    for char in text:
        await pilot.press("space" if char == " " else char)


async def choose(pilot: Pilot[Any], radio_id: str, value: str) -> None:
    """Pick a radio option with the keyboard: focus the set, move to it, press enter."""
    app = pilot.app
    radio = app.screen.query_one(f"#{radio_id}", RadioSet)
    radio.focus()
    await pilot.pause()
    names = [b.name for b in radio.query("RadioButton")]
    for _ in range(len(names)):
        current = radio._selected
        if current is not None and names[current] == value:
            break
        await pilot.press("right")
    await pilot.press("enter")


async def fill(pilot: Pilot[Any], field_id: str, text: str) -> None:
    """Focus an input, clear it, type."""
    field = pilot.app.screen.query_one(f"#{field_id}", Input)
    field.focus()
    field.value = ""
    await pilot.pause()
    await type_text(pilot, text)


async def assess(pilot: Pilot[Any], *, severity: str = "P1", users: str = "20") -> None:
    """The assessment screen: severity, users affected, trend; record with ^r."""
    app: RollbackApp = pilot.app  # type: ignore[assignment]
    await until(pilot, "the assessment screen", lambda: app.current_mode == "assess")
    await fill(pilot, "description", "2.4.0 crash-loops, 12% of checkout requests fail")
    await fill(pilot, "users_affected_pct", users)
    await fill(pilot, "duration_minutes", "8")
    await choose(pilot, "severity", severity)
    await choose(pilot, "trend", "worsening")
    await pilot.press("ctrl+r")
    await until(pilot, "the decision screen", lambda: app.current_mode == "decide")


async def decide(pilot: Pilot[Any]) -> None:
    """The decision screen: authorized by, then ^r once readiness is known."""
    app: RollbackApp = pilot.app  # type: ignore[assignment]
    session = app.session
    assert session is not None
    await until(pilot, "the RBAC pre-check", lambda: session.state.rbac is not None)
    await fill(pilot, "authorized_by", "Dana (release manager)")
    await pilot.press("ctrl+r")
    await until(pilot, "the execution screen", lambda: app.current_mode == "execute",
                timeout=90)


async def answer_dialogs(pilot: Pilot[Any], typed_name: str | None) -> None:
    """Answer whatever dialog a step opened: confirm (typing the name), or mark manual done."""
    screen = pilot.app.screen
    if isinstance(screen, ConfirmStepScreen):
        if screen.request.type_to_confirm:
            await type_text(pilot, typed_name or screen.request.type_to_confirm)
        await pilot.press("enter")
    elif isinstance(screen, ManualStepScreen):
        await pilot.press("enter")


async def execute(pilot: Pilot[Any], *, skip: Iterable[str] = (), timeout: float = 180) -> None:
    """Run every step in order with Enter, answering dialogs; skip the listed ones with s."""
    app: RollbackApp = pilot.app  # type: ignore[assignment]
    session = app.session
    assert session is not None
    skipped = set(skip)
    deadline = time.monotonic() + timeout
    while (step := session.next_step()) is not None:
        assert time.monotonic() < deadline, f"execution did not finish (at {step.id})"
        status = session.state.step_status(step.id)
        assert not status.finished or status.done, f"{step.id} {status}: " + \
            session.state.steps[step.id].detail
        before = session.state.event_count
        # The decision is journaled before the app switches to the execute screen: a key
        # pressed in between would go to the screen being left.
        await until(pilot, "the execute screen", lambda: isinstance(app.screen, ExecuteScreen))
        if step.id in skipped:
            await pilot.press("s")
            await until(pilot, "the skip dialog",
                        lambda: isinstance(app.screen, TextEntryScreen))
            await type_text(pilot, "path A succeeded")
            await pilot.press("enter")
        else:
            await pilot.press("enter")
        del before
        finish = time.monotonic() + 120
        while not session.state.step_status(step.id).finished:
            assert time.monotonic() < finish, f"step {step.id} did not finish"
            if isinstance(app.screen, ConfirmStepScreen | ManualStepScreen):
                await answer_dialogs(pilot, None)
            await pilot.pause(0.05)


async def verify_and_close(pilot: Pilot[Any]) -> str:
    """Verification: automatic checks run on arrival; tick every manual item with space;
    close with ^r, confirming who verified."""
    app: RollbackApp = pilot.app  # type: ignore[assignment]
    session = app.session
    assert session is not None
    await pilot.press("v")
    await until(pilot, "the verification screen", lambda: app.current_mode == "verify")
    automatic = [i.id for i in session.runbook.checklist_items()
                 if i.automatic and i.id not in {g.id for g in session.gate_items()}]
    await until(pilot, "the automatic checks",
                lambda: all(session.state.check_status(i) is not CheckStatus.OPEN
                            for i in automatic), timeout=120)
    checklist = app.screen.query_one("#checklist")
    checklist.focus()
    await pilot.pause()
    for _ in range(200):
        open_manual = [i for i in session.runbook.checklist_items()
                       if not i.automatic and session.state.check_status(i.id)
                       is CheckStatus.OPEN]
        if not open_manual:
            break
        highlighted = checklist.highlighted_item
        if highlighted in {i.id for i in open_manual}:
            count = session.state.event_count
            await pilot.press("space")
            await until(pilot, f"{highlighted} ticked",
                        lambda count=count: session.state.event_count > count)
        else:
            await pilot.press("down")
    await pilot.press("ctrl+r")
    await until(pilot, "the verified-by dialog", lambda: isinstance(app.screen,
                                                                    TextEntryScreen))
    await pilot.press("enter")
    await until(pilot, "the incident to close", lambda: session.phase() is Phase.CLOSED)
    status = str(session.state.rollback_status)
    return status if status == "SUCCESS" else f"{status}: {why_not_success(session)}"


def why_not_success(session: Any) -> str:
    """What failed, from the journal: each failed step's and check's detail or note, so that a
    flow test that closes FAILED says why."""
    reasons = []
    for line in (session.folder / "journal.jsonl").read_text().splitlines():
        event = json.loads(line)
        data = event.get("data", {})
        if event["type"] == "step.finished" and data.get("status") in ("failed", "interrupted"):
            reasons.append(f"step {data.get('step_id')}: {data.get('detail')}")
        elif event["type"] == "check.recorded" and data.get("status") == "fail":
            reasons.append(f"check {data.get('item_id')}: {data.get('note')}")
    return "; ".join(reasons) or "nothing failed in the journal"
