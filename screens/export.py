"""`e`: export the incident's verification checklist, report, decision record or timeline —
a small dialog (what, format, folder), then the files are written in a worker and named."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, RadioSet, Static

from tui.domain.exports import DOCUMENT_FORMATS, DOCUMENTS
from widgets.choice import ChoiceButton
from widgets.text import inert

if TYPE_CHECKING:
    from tui.app.application import RollbackApp
    from tui.session.session import IncidentSession

WHAT = (("checklist", "Checklist"), ("report", "Report"), ("decision", "Decision"),
        ("timeline", "Timeline"), ("all", "All four"))
FORMATS = (("md", "Markdown"), ("html", "HTML"), ("json", "JSON"), ("csv", "CSV"))


@dataclass(frozen=True)
class ExportChoice:
    """What to export, in which format, into which folder."""

    what: str
    fmt: str
    folder: Path


def problem(what: str, fmt: str) -> str:
    """Why this combination cannot be exported ('' when it can)."""
    documents = DOCUMENTS if what == "all" else (what,)
    if any(fmt in DOCUMENT_FORMATS[d] for d in documents):
        return ""
    having = ", ".join(d for d in DOCUMENTS if fmt in DOCUMENT_FORMATS[d])
    return f"the {what} has no {fmt.upper()} form ({fmt.upper()} exists for {having})"


class ExportScreen(ModalScreen[ExportChoice | None]):
    """Choose the document, the format and the folder; Enter exports, Esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="export_cancel"),
    ]
    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical { width: 90%; max-width: 90; height: auto; border: thick $accent;
                              background: $surface; padding: 1 2; }
    ExportScreen RadioSet { layout: horizontal; width: 1fr; height: 3;
                            border: round $primary 60%; }
    ExportScreen RadioSet > ChoiceButton { width: auto; margin-right: 2; }
    ExportScreen Input { border: round $primary 60%; height: 3; }
    ExportScreen #export-problem { color: $error; height: auto; }
    ExportScreen Button { margin-top: 1; }
    """

    def __init__(self, incident_id: str, folder: Path) -> None:
        """`folder` is where the files go unless changed (the incident's exports/)."""
        super().__init__()
        self.incident_id, self.folder = incident_id, folder

    def compose(self) -> ComposeResult:
        """What, format, folder, and the button."""
        with Vertical():
            yield Static(f"Export incident {inert(self.incident_id)}", classes="entry-title")
            yield Static("What (←/→ to choose, Tab to go on):")
            yield RadioSet(*(ChoiceButton(label, value=key == "checklist", name=key)
                             for key, label in WHAT), id="export-what")
            yield Static("Format:")
            yield RadioSet(*(ChoiceButton(label, value=key == "md", name=key)
                             for key, label in FORMATS), id="export-format")
            yield Static("Into the folder (Enter exports):")
            yield Input(value=str(self.folder), id="export-folder")
            yield Static("", id="export-problem")
            yield Button("Export", variant="primary", id="export-go")
        yield Footer()

    def on_mount(self) -> None:
        """Start on the document choice."""
        self.query_one("#export-what", RadioSet).focus()

    def _chosen(self, set_id: str) -> str:
        pressed = self.query_one(set_id, RadioSet).pressed_button
        return str(pressed.name) if pressed is not None else ""

    @on(Input.Submitted)
    @on(Button.Pressed, "#export-go")
    def _export(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        what, fmt = self._chosen("#export-what"), self._chosen("#export-format")
        folder = self.query_one("#export-folder", Input).value.strip()
        why = problem(what, fmt) if what and fmt else "choose a document and a format"
        if not why and not folder:
            why = "give a folder (Esc cancels)"
        if why:
            self.query_one("#export-problem", Static).update(inert(why))
            return
        self.dismiss(ExportChoice(what, fmt, Path(folder).expanduser()))

    @on(RadioSet.Changed)
    def _changed(self, event: RadioSet.Changed) -> None:
        self.query_one("#export-problem", Static).update("")

    def action_cancel(self) -> None:
        """Nothing is exported."""
        self.dismiss(None)


def start_export(app: RollbackApp, session: IncidentSession) -> None:
    """Ask what to export, then write it in a thread worker and say where it went (or why
    not: a failed export is the user's to retry, not an incident event)."""
    from tui.app.exports import default_folder

    def chosen(choice: ExportChoice | None) -> None:
        if choice is None:
            return

        def job() -> list[Path] | str:
            from tui.app.exports import ExportError, export_files

            try:
                return export_files(session.folder, session.runbook, choice.what, choice.fmt,
                                    choice.folder)
            except ExportError as exc:
                return str(exc)

        def written(result: list[Path] | str) -> None:
            if isinstance(result, str):
                app.notify(f"not exported: {inert(result)}", title="Export", severity="error",
                       timeout=15, markup=False)
                return
            where = result[0] if len(result) == 1 else f"{len(result)} files in {choice.folder}"
            app.notify(f"exported: {inert(where)}", title="Export", timeout=15, markup=False)

        app.run_in_session(f"export {choice.what} as {choice.fmt}", job, written)

    app.push_screen(ExportScreen(session.incident_id, default_folder(session.folder)), chosen)
