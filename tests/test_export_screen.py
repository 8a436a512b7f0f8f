"""The TUI's export: `e` on the verification screen opens the dialog, which writes the chosen
documents and says where; the same after closing the incident; a folder that cannot be
written is a notification, not an incident event. Driven with Pilot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from exports_scenario import ACTOR, INCIDENT_ID, RUNBOOK_PATH, runbook, write_incident
from textual.widgets import Input
from tui_driver import choose, type_text, until

from screens.export import ExportScreen, problem
from screens.text_entry import TextEntryScreen
from screens.verify import VerifyScreen
from tui.adapters.journal import read_journal
from tui.app.application import AppContext, create_app
from tui.app.exports import check_export
from tui.app.paths import resolve_paths
from tui.session.core import SessionConfig
from tui.session.session import IncidentSession


def _app(folder: Path) -> Any:
    config = SessionConfig(incidents_dir=folder.parent, actor=ACTOR)
    session = IncidentSession.resume(folder, runbook(), RUNBOOK_PATH.read_bytes(), config,
                                     announce=False)
    return create_app(AppContext(session=session, live_feeds=False))


def _messages(app: Any) -> list[str]:
    return [n.message for n in app._notifications]


async def _folder(pilot: Any, folder: Path) -> None:
    """Put a folder in the field (pasted, not typed: the path is long) and focus it."""
    field = pilot.app.screen.query_one("#export-folder", Input)
    field.value = str(folder)
    field.focus()
    await pilot.pause()


async def _open_dialog(pilot: Any) -> ExportScreen:
    await pilot.press("e")
    return await until(pilot, "the export dialog",
                       lambda: isinstance(pilot.app.screen, ExportScreen) and pilot.app.screen)


async def test_export_from_verification_then_after_closing(rollback_home: Path,
                                                            tmp_path: Path) -> None:
    folder = write_incident(resolve_paths().incidents_dir, resolved=False)
    out = tmp_path / "handover"
    app = _app(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        app.switch_mode("verify")
        await until(pilot, "the verification screen", lambda: isinstance(app.screen,
                                                                         VerifyScreen))
        dialog = await _open_dialog(pilot)
        assert dialog.query_one("#export-folder", Input).value == str(folder / "exports")
        await choose(pilot, "export-what", "all")
        await choose(pilot, "export-format", "html")
        await _folder(pilot, out)
        await pilot.press("enter")
        await until(pilot, "the notification", lambda: any(
            m.startswith("exported") for m in _messages(app)))
        assert f"exported: 4 files in {out}" in _messages(app)
        assert isinstance(app.screen, VerifyScreen)
        pages = sorted(p.name for p in out.iterdir())
        assert pages == [f"{INCIDENT_ID}-{w}.html" for w in
                         ("checklist", "decision", "report", "timeline")]
        checklist = (out / f"{INCIDENT_ID}-checklist.html").read_text()
        assert "DRAFT — incident still open" in checklist
        assert check_export(folder, out / f"{INCIDENT_ID}-checklist.html", runbook()).ok

        # Close the incident (ctrl+r, verified by), then export again to the default folder.
        await pilot.press("ctrl+r")
        await until(pilot, "the verified-by prompt",
                    lambda: isinstance(app.screen, TextEntryScreen))
        entry = app.screen.query_one(Input)
        entry.value = ""
        await type_text(pilot, "bob")
        await pilot.press("enter")
        await until(pilot, "the incident to close", lambda: app.session.state.resolved_at)
        # A drill's closing opens its debrief: back to the closing screen to export.
        await until(pilot, "the debrief", lambda: type(app.screen).__name__ == "DebriefScreen")
        await pilot.press("escape")
        await until(pilot, "the closing screen", lambda: isinstance(app.screen, VerifyScreen))
        await _open_dialog(pilot)
        # The defaults (checklist, Markdown, the incident's exports/): Enter in the folder.
        await pilot.press("tab", "tab", "enter")
        written = folder / "exports" / f"{INCIDENT_ID}-checklist.md"
        await until(pilot, "the checklist", written.exists)
        await until(pilot, "the notification", lambda: f"exported: {written}" in
                    _messages(app))
        text = written.read_text()
        assert not text.startswith("**DRAFT") and "**Verified By**: bob" in text
        assert check_export(folder, written, runbook()).ok


async def test_a_folder_that_cannot_be_written_is_said_not_journaled(rollback_home: Path,
                                                                     tmp_path: Path) -> None:
    folder = write_incident(resolve_paths().incidents_dir, resolved=False)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    app = _app(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        app.switch_mode("verify")
        await until(pilot, "the verification screen", lambda: isinstance(app.screen,
                                                                         VerifyScreen))
        lines = len(read_journal(folder).events)
        dialog = await _open_dialog(pilot)
        await choose(pilot, "export-what", "report")
        await choose(pilot, "export-format", "csv")
        await _folder(pilot, blocker)
        await pilot.press("enter")
        problem_text = str(dialog.query_one("#export-problem").render())
        assert "the report has no CSV form" in problem_text and app.screen is dialog
        await choose(pilot, "export-format", "json")
        await _folder(pilot, blocker)
        await pilot.press("enter")
        await until(pilot, "the failure", lambda: any(
            m.startswith("not exported") for m in _messages(app)))
        assert f"not exported: {blocker} is a file; give a folder to export into" in \
            _messages(app)
        await pilot.pause(0.2)
        assert len(read_journal(folder).events) == lines
        assert blocker.read_text() == "x"


async def test_escape_exports_nothing(rollback_home: Path) -> None:
    folder = write_incident(resolve_paths().incidents_dir, resolved=False)
    app = _app(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        app.switch_mode("verify")
        await until(pilot, "the verification screen", lambda: isinstance(app.screen,
                                                                         VerifyScreen))
        await _open_dialog(pilot)
        await pilot.press("escape")
        await until(pilot, "the dialog to close", lambda: isinstance(app.screen, VerifyScreen))
        assert not (folder / "exports").exists()


def test_problem_names_the_formats_a_document_has() -> None:
    assert problem("checklist", "csv") == "" and problem("all", "csv") == ""
    assert problem("decision", "csv") == ("the decision has no CSV form (CSV exists for "
                                          "checklist, timeline)")
