"""Execution: the RBAC pre-check, the automatic pre-rollback gates, and running the steps —
confirmed, journaled before and after, stoppable only at safe points, resumable after a crash."""

from __future__ import annotations

import dataclasses
import threading
from collections import deque

from tui.actions.base import Outcome
from tui.actions.registry import changes_state, describe, evidence, execute
from tui.adapters.kube_retry import retry_scope
from tui.adapters.kube_types import KubeError
from tui.domain import incident as ev
from tui.domain.incident import StepState
from tui.domain.runbook import CheckItem, Step, render_args
from tui.domain.status import CheckStatus, IncidentStatus, StepStatus
from tui.session.core import SessionCore, SessionError
from tui.session.events import ConfirmationRequest, StepProgressed
from tui.session.resumption import InterruptedStep, Resumption

OUTPUT_LINES = 40  # lines of a step's output the journal keeps (the step's data keeps the rest)


def render_text(text: str, values: dict[str, str]) -> str:
    """Fill placeholders in display text; leave it as written if a value is missing."""
    try:
        return str(render_args(text, values))
    except ValueError:
        return text


class ExecutingMixin(SessionCore):
    """rbac_precheck / run_gates / next_step / blocker / run_step / skip_step / request_stop /
    settle_interrupted."""

    # ---- readiness ---------------------------------------------------------------------------
    def rbac_precheck(self) -> Outcome:
        """Every permission the runbook needs, checked before anything changes (journaled)."""
        from tui.actions.k8s import RbacCheck

        if not self.runbook.permissions():
            return Outcome(StepStatus.OK, "the runbook needs no Kubernetes permission")
        extra = [e for s in self.runbook.steps if s.action == "k8s.rbac_check"
                 for e in render_args(list(s.args.get("extra") or []), self.values)]
        try:
            with retry_scope(self.cancel, self.journal_retry({"during": "rbac_precheck"})):
                outcome = RbacCheck().run({"extra": extra}, self.ctx)
        except KubeError as exc:
            outcome = Outcome(StepStatus.FAILED, str(exc), {"error": exc.to_dict()})
        self.record(ev.RBAC_CHECKED, {"ok": outcome.ok, "summary": outcome.summary,
                                      **outcome.detail})
        return outcome

    def denied(self) -> list[str]:
        """Permissions the pre-check found denied (`patch deployments.apps`)."""
        checks = (self.state.rbac or {}).get("checks") or []
        return [str(c.get("permission")) for c in checks if not c.get("allowed")]

    def gate_items(self) -> list[CheckItem]:
        """The automatic pre-rollback items: they must not fail before any step runs."""
        return [item for item in self.runbook.pre_rollback if item.check is not None]

    def run_gates(self) -> bool:
        """Evaluate the automatic pre-rollback items; False when one failed."""
        ok = True
        for item in self.gate_items():
            with retry_scope(self.cancel, self.journal_retry({"check_id": item.id})):
                outcome = execute(item.check, self.ctx) if item.check else None
            if outcome is None:
                continue
            status = self.record_check_outcome(item, outcome, gate=True)
            ok = ok and status is not CheckStatus.FAIL
        return ok

    # ---- which step, and may it run ----------------------------------------------------------
    def step(self, step_id: str) -> Step:
        """The runbook step with that id (SessionError naming the ids there are)."""
        found = next((s for s in self.runbook.steps if s.id == step_id), None)
        if found is None:
            known = ", ".join(s.id for s in self.runbook.steps)
            raise SessionError(f"runbook {self.runbook.id} has no step {step_id!r} "
                               f"(steps: {known})")
        return found

    def next_step(self) -> Step | None:
        """The first step not yet done (ok or skipped), or None when every step is."""
        return next((s for s in self.runbook.steps
                     if not self.state.step_status(s.id).done), None)

    def blocker(self, step: Step) -> str | None:
        """Why `step` cannot run now, or None when it may."""
        state = self.state
        if self.read_only:
            return "this view only follows the incident; the session holding it runs steps"
        if state.status is IncidentStatus.RESOLVED:
            return f"incident {self.incident_id} is resolved"
        if state.stop_requested:
            return ("a stop was requested: the run stopped at a safe point — resume the "
                    f"incident (rollback resume {self.incident_id}) to continue")
        running = state.running_step
        if running is not None and running.step_id != step.id:
            return f"step {running.step_id} is still running"
        if running is not None:
            return f"step {step.id} is already running"
        if not state.decided:
            return "record the decision first (the decision record opens the execution)"
        if state.rbac is not None and not state.rbac.get("ok"):
            needed = {p.label() for p in _permissions(step)}
            missing = sorted(needed & set(self.denied()))
            if missing:
                return (f"the RBAC pre-check found {', '.join(missing)} denied — ask for the "
                        "permission or use a context that has it")
            if not self.denied():
                return "the RBAC pre-check could not run: fix the connection and check again"
        failed = [i.id for i in self.gate_items() if state.check_status(i.id) is CheckStatus.FAIL]
        if failed:
            return f"pre-rollback check(s) failed: {', '.join(failed)} — fix them and re-check"
        for earlier in self.runbook.steps:
            if earlier.id == step.id:
                break
            if not state.step_status(earlier.id).done:
                return f"step {earlier.id} ({earlier.title}) is not done yet"
        if step.action == "k8s.rollout_undo" and not self.config.dry_run:
            key = self._undo_key(step)
            if key and key not in self.ctx.targets:
                return (f"the rollback target of {key} is not frozen yet: resolve it "
                        "(decision) before rolling back")
        return None

    def _undo_key(self, step: Step) -> str:
        try:
            args = render_args(dict(step.args), self.values)
        except ValueError:
            return ""
        namespace = str(args.get("namespace") or self.values.get("namespace") or "")
        return f"{namespace}/{args.get('deployment', '')}"

    # ---- confirmation ------------------------------------------------------------------------
    def confirmation_for(self, step: Step, *, rerun: bool = False) -> ConfirmationRequest:
        """What the operator is shown and asked before `step` runs."""
        cluster = self.state.cluster or {}
        where = (f"context {cluster.get('context', self.config.context or '?')} · namespace "
                 f"{self.values.get('namespace') or cluster.get('namespace', '?')}")
        risky = step.danger or step.point_of_no_return
        consequences: list[str] = []
        if step.point_of_no_return:
            consequences.append("this step cannot be undone")
            since = self.values.get("backup_taken_at")
            if since:
                consequences.append(f"data written since the backup ({since}) will be lost")
        if step.expected:
            consequences.append("expected: " + render_text(step.expected, self.values))
        number = [s.id for s in self.runbook.steps].index(step.id) + 1
        question = f"Run step {number} ({step.title}) against {where}?"
        if rerun:
            question = (f"Step {number} ({step.title}) was running when the last session ended, "
                        f"and its effect cannot be seen in the cluster. Run it again against "
                        f"{where}?")
        return ConfirmationRequest(
            step_id=step.id, title=step.title, question=question,
            command=self.command_shown(step),
            request=describe(step, self.ctx), danger=step.danger,
            point_of_no_return=step.point_of_no_return,
            type_to_confirm=self._target_name(step) if risky else None,
            consequences=tuple(consequences), where=where, rerun=rerun)

    def command_shown(self, step: Step) -> str | None:
        """The step's command as the operator may paste it (secrets as ***), or why not."""
        try:
            return self.runbook.step_display(step, self.values)
        except ValueError as exc:
            return f"(the command cannot be shown: {exc})"

    def _target_name(self, step: Step) -> str:
        try:
            args = render_args(dict(step.args), self.values)
        except ValueError:
            args = {}
        for key in ("deployment", "service", "name"):
            if args.get(key):
                return str(args[key])
        return str(self.values.get("deployment") or step.id)

    def _confirm(self, request: ConfirmationRequest) -> bool:
        from tui.session.events import ConfirmationRequested

        self.publish(ConfirmationRequested(request))
        answer = bool(self.config.confirmer(request))
        self.record(ev.CONFIRMATION_ANSWERED, {
            "step_id": request.step_id, "question": request.question, "answer": answer,
            "typed": request.type_to_confirm is not None, "rerun": request.rerun})
        return answer

    # ---- running -----------------------------------------------------------------------------
    def run_step(self, step_id: str, *, operator_done: bool = False,
                 rerun: bool = False) -> Outcome:
        """Run one step: check it may run, confirm, journal, execute, journal the outcome.

        A refusal raises SessionError; a declined confirmation returns a skipped outcome
        without touching the step. Blocking: call from a worker thread.
        """
        step = self.step(step_id)
        reason = self.blocker(step)
        if reason:
            raise SessionError(f"step {step.id} cannot run: {reason}")
        if any(s.step_id == step.id for s in self.interrupted_steps()):
            settled = self.settle_interrupted(step.id)
            if settled.plan is Resumption.DONE:
                return Outcome(StepStatus.OK, f"done before the interruption: {settled.evidence}",
                               {"evidence": settled.evidence})
            if settled.plan is Resumption.DECIDE and not rerun:
                raise SessionError(settled.message)
            rerun = rerun or settled.plan is Resumption.CONFIRM
        dry = self.config.dry_run
        confirmed_by = ""
        if (step.needs_confirmation or rerun) and not dry:
            if not self._confirm(self.confirmation_for(step, rerun=rerun)):
                return Outcome(StepStatus.SKIPPED, "not confirmed: nothing was run",
                               {"declined": True})
            confirmed_by = self.config.confirmed_by or self.config.actor_name()
        started = {"step_id": step.id, "title": step.title, "action": step.action,
                   "dry_run": dry, "request": describe(step, self.ctx)}
        if step.needs_confirmation:
            started["confirmed_by"] = "dry-run" if dry else confirmed_by
        if rerun:
            started["rerun"] = True
        self.record(ev.STEP_STARTED, started)
        outcome, timed_out, progress = self._execute(step, operator_done)
        if outcome.status == StepStatus.FAILED and (self.cancel.is_set() or timed_out):
            # Cut short by a stop or its own timeout: not a verdict on the cluster.
            outcome.status = StepStatus.INTERRUPTED
            if timed_out:
                outcome.summary = (f"gave up after the step's timeout {step.timeout}: "
                                   f"{outcome.summary}")
        self.record(ev.STEP_FINISHED, {
            "step_id": step.id, "title": step.title, "status": outcome.status,
            "detail": outcome.summary, "data": outcome.detail,
            "output": (outcome.lines or progress)[-OUTPUT_LINES:]})
        if self.cancel.is_set():
            where = "during_step" if outcome.status == StepStatus.INTERRUPTED else "after_step"
            self.record(ev.RUN_INTERRUPTED, {where: step.id})
        return outcome

    def _execute(self, step: Step, operator_done: bool) -> tuple[Outcome, bool, list[str]]:
        """Execute under the step's own timeout; a stop reaches it unless it must finish."""
        step_cancel = threading.Event()
        # A danger or point-of-no-return step (a down migration) is never cut half-way by a
        # stop at the next safe point: the run stops after it. An abort reaches it anyway.
        interruptible = not (step.danger or step.point_of_no_return)
        self.step_cancel = step_cancel if interruptible else None
        self._running_cancel = step_cancel
        if interruptible and self.cancel.is_set():
            step_cancel.set()
        timed_out = threading.Event()
        timer = None
        if step.timeout:
            def expire() -> None:
                timed_out.set()
                step_cancel.set()

            # Compressed in a drill like the command's own limit, and never below it.
            timer = threading.Timer(self.ctx.process_seconds(step.timeout, "0s"), expire)
            timer.daemon = True
            timer.start()
        lines: deque[str] = deque(maxlen=200)

        def progress(line: str) -> None:
            shown = self.redactor.text(line)
            lines.append(shown)
            self.publish(StepProgressed(step.id, shown))

        step_ctx = dataclasses.replace(self.ctx, cancel=step_cancel, progress=progress,
                                       confirm=lambda q: self._confirm_inline(step, q),
                                       operator_done=lambda _text: operator_done)
        try:
            with retry_scope(step_cancel, self.journal_retry({"step_id": step.id}, progress)):
                outcome = execute(step, step_ctx)
        finally:
            self.ctx._kube = step_ctx._kube  # a connection made during the step is kept
            self.step_cancel = self._running_cancel = None
            if timer is not None:
                timer.cancel()
        return outcome, timed_out.is_set(), list(lines)

    _running_cancel: threading.Event | None = None

    def _confirm_inline(self, step: Step, question: str) -> bool:
        """A question an action asks while it runs (e.g. resume a paused Deployment)."""
        if self.config.dry_run:
            return True
        return self._confirm(ConfirmationRequest(
            step_id=step.id, title=step.title, question=question,
            request=describe(step, self.ctx), danger=step.danger,
            where=f"namespace {self.values.get('namespace', '?')}"))

    def skip_step(self, step_id: str, reason: str) -> None:
        """Mark a step skipped, with the reason (journaled; the procedure moves past it)."""
        step = self.step(step_id)
        if not reason.strip():
            raise SessionError(f"skipping step {step.id} needs a reason")
        running = self.state.running_step
        if running is not None and running.step_id == step.id:
            raise SessionError(f"step {step.id} is running; stop it before skipping it")
        if self.state.status is IncidentStatus.RESOLVED:
            raise SessionError(f"incident {self.incident_id} is resolved")
        self.record(ev.STEP_FINISHED, {
            "step_id": step.id, "title": step.title, "status": StepStatus.SKIPPED,
            "detail": f"skipped: {reason.strip()}", "reason": reason.strip(), "data": {}})

    def request_stop(self) -> str:
        """First request: stop at the next safe point. Second: abort the running step."""
        level = "abort" if self.state.stop_requested else "next_safe_point"
        running = self.state.running_step
        self.record(ev.STOP_REQUESTED, {"level": level,
                                        **({"during_step": running.step_id} if running else {})})
        self.cancel.set()
        if level == "abort" and self._running_cancel is not None:
            self._running_cancel.set()
        elif self.step_cancel is not None:
            self.step_cancel.set()
        return level

    # ---- after a crash -----------------------------------------------------------------------
    def interrupted_steps(self) -> list[StepState]:
        """Steps that were running when a session died (their outcome was never journaled)."""
        return [s for s in self.state.steps.values() if s.status is StepStatus.INTERRUPTED
                and s.finished_at is None]

    def settle_interrupted(self, step_id: str) -> InterruptedStep:
        """Decide what resuming an interrupted step means; journal it done when the cluster
        already shows its effect."""
        step = self.step(step_id)
        state = self.state.steps.get(step_id)
        started = f"started {state.started_at} " if state and state.started_at else ""
        if step.point_of_no_return:
            return InterruptedStep(step.id, Resumption.DECIDE, (
                f"step {step.id} ({step.title}) is a point of no return and was interrupted "
                f"({started}; its outcome was never journaled; it was asked to: "
                f"{state.request if state else describe(step, self.ctx)}). Check what it did, "
                "then run it again or skip it with a reason"))
        if not changes_state(step) or self.config.dry_run:
            return InterruptedStep(step.id, Resumption.RERUN,
                                   f"step {step.id} changes nothing: it runs again")
        proof = evidence(step, self.ctx)
        if proof:
            self.record(ev.STEP_FINISHED, {
                "step_id": step.id, "title": step.title, "status": StepStatus.OK,
                "detail": f"done before the interruption: {proof}", "evidence": proof,
                "data": {"evidence": proof}})
            return InterruptedStep(step.id, Resumption.DONE, proof, proof)
        return InterruptedStep(step.id, Resumption.CONFIRM, (
            f"step {step.id} ({step.title}) may have changed the cluster before the "
            "interruption and its effect cannot be seen: it runs again only when confirmed"))


def _permissions(step: Step) -> tuple:
    from tui.domain.actions import ACTIONS

    return ACTIONS[step.action].permissions
