"""Execution: the steps in order, the highlighted one as a card with its exact command and live
output; Enter runs it (confirmed; typed for danger steps), r retries, s skips with a reason.
Rollout progress, pods and metrics stay beside it."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches

from screens.base import IncidentScreen
from tui.domain.drill_timing import incident_clock
from tui.domain.runbook import Step, render_args
from tui.domain.status import Phase, StepStatus
from tui.session.events import SessionEvent, StepFinished, StepProgressed, StepStarted
from tui.session.resumption import Resumption
from widgets.step_card import StepCard, step_detail
from widgets.step_list import StepList


class ExecuteScreen(IncidentScreen):
    """③ Execute: steps on the left, the card under them, evidence on the right."""

    CSS_PATH = "execute.tcss"
    AUTO_FOCUS = "#steps"  # focused as the screen is composed: the first Enter is not lost
    PHASE = Phase.EXECUTE
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "retry", "Retry", id="execute_retry"),
        Binding("s", "skip", "Skip…", id="execute_skip"),
        Binding("v", "verify", "Verify", id="execute_verify"),
        Binding("y", "copy", "Copy command", id="execute_copy"),
    ]

    def compose_work(self) -> ComposeResult:
        """The step list and the card of the highlighted step."""
        yield StepList(clock=self.app_clock, id="steps")
        yield StepCard(clock=self.app_clock, id="card")

    def on_mount(self) -> None:
        """Start on the next step to do."""
        session = self.session
        if session is None:
            return
        steps = self.query_one(StepList)
        steps.runbook = session.runbook
        steps.state = session.snapshot()
        upcoming = session.next_step()
        if upcoming is not None:
            steps.move_to(upcoming.id)
        self._show(upcoming or session.runbook.steps[-1])
        steps.focus()

    # ---- what is shown -----------------------------------------------------------------------
    def incident_changed(self) -> None:
        """Statuses, blockers and the card follow the journal."""
        session = self.session
        if session is None:
            return
        state = session.snapshot()
        steps = self.query_one(StepList)
        steps.state = state
        steps.blockers = self.blockers()
        card = self.query_one(StepCard)
        card.pace = incident_clock(state)
        if card.detail is not None:
            card.step_state = state.steps.get(card.detail.step_id)

    def blockers(self) -> dict[str, str]:
        """Why each not-yet-done step cannot run now (shown when highlighted)."""
        session = self.session
        if session is None:
            return {}
        reasons: dict[str, str] = {}
        for step in session.runbook.steps:
            if session.state.step_status(step.id).done:
                continue
            reason = session.blocker(step)
            if reason and "is not done yet" not in reason:
                reasons[step.id] = reason
        return reasons

    def _show(self, step: Step) -> None:
        session = self.session
        if session is None:
            return
        card = self.query_one(StepCard)
        card.detail = step_detail(session.runbook, step, session.values)
        card.step_state = session.state.steps.get(step.id)

    @on(StepList.Highlighted)
    def _highlighted(self, event: StepList.Highlighted) -> None:
        if self.session is not None:
            self._show(self.session.step(event.step_id))

    def session_event(self, event: SessionEvent) -> None:
        """Stream the running step's output into its card; say when a step ends."""
        card = self.query_one(StepCard)
        shown = card.detail.step_id if card.detail is not None else None
        if isinstance(event, StepProgressed) and event.step_id == shown:
            card.append_output(event.line)
        elif isinstance(event, StepStarted) and self.session is not None:
            self.query_one(StepList).move_to(event.step_id)
            self._show(self.session.step(event.step_id))
        elif isinstance(event, StepFinished):
            self._finished(event)

    def _finished(self, event: StepFinished) -> None:
        session = self.session
        if session is None:
            return
        if not event.status.done:  # the list shows successes; failures also speak up
            self.notify(f"{event.step_id}: {event.status} — {event.summary}", severity="error",
                        timeout=10, markup=False)
        upcoming = session.next_step()
        if event.status.done and upcoming is not None:
            self.query_one(StepList).move_to(upcoming.id)
            self._show(upcoming)
        elif upcoming is None:
            self.notify("every step is done — v: verify", title="Execution complete",
                        timeout=10)

    # ---- running -----------------------------------------------------------------------------
    @on(StepList.RunRequested)
    def _run_requested(self, event: StepList.RunRequested) -> None:
        self.run_step(event.step_id)

    def run_step(self, step_id: str, *, rerun: bool = False) -> None:
        """Run a step the way its kind needs: manual steps by hand, others in a worker."""
        session = self.session
        if session is None or not self.writable:
            self.notify("this view cannot run steps", severity="warning")
            return
        step = session.step(step_id)
        if session.state.step_status(step_id).done and not rerun:
            self.notify(f"{step_id} is done ({session.state.step_status(step_id)}); r runs it "
                        "again", timeout=4)
            return
        reason = session.blocker(step)
        if reason:
            self.notify(f"{step.id} cannot run: {reason}", severity="warning", timeout=8,
                        markup=False)
            return
        if any(s.step_id == step_id for s in session.interrupted_steps()):
            self._interrupted(step)
            return
        if step.action == "manual":
            self._manual(step)
            return
        self.rollback_app.run_in_session(f"run step {step.id}",
                                         lambda: session.run_step(step.id, rerun=rerun))

    def _manual(self, step: Step) -> None:
        from screens.manual_step import ManualStepScreen

        session = self.session
        assert session is not None
        args = render_args(dict(step.args), session.values)
        command = session.command_shown(step) if step.command else None

        def done(confirmed: bool | None) -> None:
            if confirmed:
                self.rollback_app.run_in_session(
                    f"mark {step.id} done",
                    lambda: session.run_step(step.id, operator_done=True))

        self.app.push_screen(ManualStepScreen(step, str(args.get("instructions", "")),
                                              str(args.get("message", "")), command), done)

    def _interrupted(self, step: Step) -> None:
        """A step the last session left running: settle it (evidence, rerun or decide)."""
        from screens.interrupted import InterruptedStepScreen

        session = self.session
        assert session is not None

        def settled(result: object) -> None:
            plan = getattr(result, "plan", None)
            if plan is Resumption.DONE:
                self.notify(f"{step.id}: already done — {result.evidence}", timeout=8,
                            markup=False)
            elif plan is Resumption.DECIDE:
                def chosen(answer: str | None) -> None:
                    if answer == "rerun":
                        self.rollback_app.run_in_session(
                            f"run {step.id} again", lambda: session.run_step(step.id,
                                                                             rerun=True))
                    elif answer == "skip":
                        self._ask_skip(step)

                self.app.push_screen(InterruptedStepScreen(result.message), chosen)
            else:
                self.rollback_app.run_in_session(
                    f"run {step.id} again",
                    lambda: session.run_step(step.id, rerun=plan is Resumption.CONFIRM))

        self.rollback_app.run_in_session(f"check {step.id}",
                                         lambda: session.settle_interrupted(step.id), settled)

    # ---- secondary actions -------------------------------------------------------------------
    def _highlighted_step(self) -> Step | None:
        try:
            card = self.query_one(StepCard)
        except NoMatches:  # asked before the screen is composed
            return None
        if self.session is None or card.detail is None:
            return None
        return self.session.step(card.detail.step_id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Retry and skip need a writable incident and a step in the right state."""
        session = self.session
        step = self._highlighted_step()
        if action in ("retry", "skip"):
            if not self.writable or step is None or session is None:
                return False
            status = session.state.step_status(step.id)
            if action == "retry":
                return status in (StepStatus.FAILED, StepStatus.INTERRUPTED)
            return status is not StepStatus.RUNNING and not status.done
        if action == "verify":
            return session is not None and session.phase() in (Phase.VERIFY, Phase.CLOSED)
        return super().check_action(action, parameters)

    def action_retry(self) -> None:
        """Run the highlighted failed or interrupted step again."""
        step = self._highlighted_step()
        if step is not None:
            self.run_step(step.id, rerun=False)

    def action_skip(self) -> None:
        """Skip the highlighted step, with a reason (journaled)."""
        step = self._highlighted_step()
        if step is not None:
            self._ask_skip(step)

    def _ask_skip(self, step: Step) -> None:
        from screens.text_entry import TextEntryScreen

        session = self.session
        assert session is not None

        def skip(reason: str | None) -> None:
            if reason:
                self.rollback_app.run_in_session(f"skip {step.id}",
                                                 lambda: session.skip_step(step.id, reason))

        self.app.push_screen(TextEntryScreen(f"Skip step: {step.title}",
                                             "Why is it skipped? (journaled)"), skip)

    def action_copy(self) -> None:
        """Copy the highlighted step's command (the terminal's clipboard: works over SSH)."""
        self.query_one(StepCard).action_copy_command()

    def action_verify(self) -> None:
        """Every step is done: on to verification."""
        self.app.switch_mode("verify")
