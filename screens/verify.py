"""Verification: the seed's checklist with automatic items evaluated and manual items ticked
with notes, metrics against the frozen baseline beside it, SUCCESS / PARTIAL / FAILED, verified
by, and closing the incident."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from screens.base import IncidentScreen
from tui.domain.checklist import checklist, derive_status
from tui.domain.postmortem import deadline_line, state_deadlines
from tui.domain.status import CheckStatus, Phase, RollbackStatus
from widgets.checklist import Checklist


class VerifyScreen(IncidentScreen):
    """④ Verify: the checklist, the derived status, close the incident."""

    CSS_PATH = "verify.tcss"
    PHASE = Phase.VERIFY
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "run_checks", "Run checks", id="verify_checks"),
        Binding("ctrl+r", "resolve", "Close", id="verify_resolve", priority=True),
        Binding("e", "export", "Export", id="verify_export"),
        Binding("p", "postmortem", "Postmortem", id="verify_postmortem"),
        Binding("d", "debrief", "Debrief", id="verify_debrief"),
    ]

    def compose_work(self) -> ComposeResult:
        """The post-incident deadlines (once closed) and the checklist (status banner
        included)."""
        yield Static(id="post-incident")
        yield Checklist(id="checklist")

    def on_mount(self) -> None:
        """Show the marks; evaluate the automatic items once when first arriving."""
        self.incident_changed()
        self.set_interval(30, self._post_incident)
        self.query_one(Checklist).focus()
        session = self.session
        if session is None or not self.writable or session.state.resolved_at:
            return  # a closed incident opened for its post-incident record is not re-checked
        automatic = [i for i in session.runbook.checklist_items()
                     if i.automatic and i.id not in {g.id for g in session.gate_items()}]
        if any(session.state.check_status(i.id) is CheckStatus.OPEN for i in automatic) and \
                session.next_step() is None:
            self.action_run_checks()

    def incident_changed(self) -> None:
        """Marks and status follow the journal."""
        session = self.session
        if session is None:
            return
        state = session.snapshot()
        widget = self.query_one(Checklist)
        widget.sections = checklist(session.runbook, state, session.values)
        widget.summary = derive_status(session.runbook, state)
        self._post_incident()

    def _post_incident(self) -> None:
        """Once closed: `report due in 5h · postmortem due in 29h` (OVERDUE when late)."""
        session = self.session
        line = self.query_one("#post-incident", Static)
        self.refresh_bindings()
        if session is None or session.state.resolved_at is None:
            line.display = False
            return
        now = datetime.fromtimestamp(self.app_clock(), UTC)
        due = state_deadlines(session.snapshot(), now)
        line.display = True
        line.set_class(any(d.late for d in due), "-overdue")
        line.update(Text.assemble(("Post-incident: ", "bold"), deadline_line(due, now)))

    @on(Checklist.Toggled)
    def _toggled(self, event: Checklist.Toggled) -> None:
        session = self.session
        if session is None or not self.writable:
            self.notify("this view cannot change the checklist", severity="warning")
            return
        item, checked = event.item_id, event.checked
        self.rollback_app.run_in_session(f"tick {item}",
                                         lambda: session.tick(item, checked=checked))

    @on(Checklist.NoteRequested)
    def _note(self, event: Checklist.NoteRequested) -> None:
        from screens.text_entry import TextEntryScreen

        session = self.session
        if session is None or not self.writable:
            return
        item = session.item(event.item_id)
        checked = session.state.check_status(item.id) is CheckStatus.PASS or not item.automatic

        def noted(text: str | None) -> None:
            if text is not None:
                self.rollback_app.run_in_session(
                    f"note on {item.id}", lambda: session.tick(item.id, checked=checked,
                                                               note=text))

        self.app.push_screen(TextEntryScreen(f"Note on: {item.item}", "What was checked, "
                                             "and how? (journaled with the tick)",
                                             required=False), noted)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Checks and closing need a writable, open incident."""
        if action in ("run_checks", "resolve"):
            return self.writable
        if action == "postmortem":  # the record is written once the incident is closed
            return self.session is not None and self.session.state.resolved_at is not None
        if action == "debrief":  # a drill is scored once it has ended
            return self.session is not None and self.session.state.drill and \
                self.session.state.resolved_at is not None
        return super().check_action(action, parameters)

    def action_postmortem(self) -> None:
        """The post-incident record: five whys, causes, lessons, action items, criteria."""
        from screens.postmortem import PostmortemScreen

        self.app.push_screen(PostmortemScreen())

    def action_debrief(self) -> None:
        """The drill's scored debrief: score, anti-patterns, timeline, ground truth."""
        from screens.debrief import open_debrief

        open_debrief(self.rollback_app)

    def action_run_checks(self) -> None:
        """Evaluate every automatic item now (journaled)."""
        session = self.session
        if session is None:
            return
        self.notify("running the automatic checks…", timeout=3)
        self.rollback_app.run_in_session("run the automatic checks", session.run_checks)

    def action_resolve(self) -> None:
        """Close the incident with the derived status, naming who verified it."""
        from screens.text_entry import TextEntryScreen

        session = self.session
        if session is None:
            return
        summary = session.status()
        warn = "" if summary.status is RollbackStatus.SUCCESS else (
            f" — it is {summary.status}: {summary.sentence()}")

        def closed(status: object) -> None:
            self.notify(f"incident closed: {status}", timeout=10)
            if session.state.drill:  # a drill ends with its debrief
                self.action_debrief()

        def resolve(verified_by: str | None) -> None:
            if verified_by:
                self.rollback_app.run_in_session(
                    "close the incident", lambda: session.resolve(verified_by), closed)

        self.app.push_screen(TextEntryScreen(
            f"Close the incident as {summary.status}{warn}", "Verified by (name):",
            value=session.config.actor_name()), resolve)

    def action_export(self) -> None:
        """Export the checklist, report, decision record or timeline (a dialog asks which)."""
        from screens.export import start_export

        if self.session is not None:
            start_export(self.rollback_app, self.session)
