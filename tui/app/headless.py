"""`rollback run --headless` and `rollback resume --headless`: a thin printer over the incident
session. The session holds the policy (gates, order, confirmation, status); this prints it."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from tui.adapters.journal import JournalError
from tui.domain import incident as ev
from tui.domain.assessment import Decision
from tui.domain.incident import Redactor
from tui.domain.runbook import Runbook
from tui.domain.safe_text import inert_lines
from tui.domain.status import CheckStatus, RollbackStatus, StepStatus
from tui.session.events import (
    CheckRecorded,
    Journaled,
    SessionEvent,
    StepProgressed,
    WarningRaised,
)
from tui.session.executing import render_text
from tui.session.resumption import Resumption
from tui.session.session import DecisionInput, IncidentSession, SessionConfig, SessionError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@dataclass
class RunOptions:
    """What `rollback run --headless` (or `resume --headless`) was asked to do."""

    runbook: Runbook
    runbook_bytes: bytes
    values: dict[str, str]
    config: SessionConfig
    yes: bool = False
    reason: str = ""
    json: bool = False
    checks: list[str] = field(default_factory=list)
    detected_at: datetime | None = None
    resume: Path | None = None
    rerun: list[str] = field(default_factory=list)
    skip: dict[str, str] = field(default_factory=dict)


class Printer:
    """One line per event for people, or one JSON object per line with --json."""

    def __init__(self, out: TextIO, as_json: bool) -> None:
        """Print to `out`; secrets are masked once the session's redactor is set."""
        self.out, self.as_json = out, as_json
        self.redactor = Redactor(())

    def emit(self, kind: str, text: str, **data: Any) -> None:
        """Print an event, secrets masked as in the journal."""
        text = inert_lines(self.redactor.text(text))  # server text: escapes shown as ^[
        if self.as_json:
            record = self.redactor({"type": kind, "message": text, **data})
            self.out.write(json.dumps(record, default=str) + "\n")
        else:
            self.out.write(text + "\n")
        self.out.flush()


class HeadlessDriver:
    """Open (or resume) an incident and drive it to its end, printing as it goes."""

    def __init__(self, opts: RunOptions, out: TextIO = sys.stdout) -> None:
        """Prepare; `execute` does the work."""
        self.opts, self.runbook = opts, opts.runbook
        self.print = Printer(out, opts.json)
        self.session: IncidentSession | None = None

    # ---- refusals before anything is written -------------------------------------------------
    def preflight(self) -> str | None:
        """Danger without --yes, unknown --check/--rerun/--skip ids: refused up front."""
        runbook, opts = self.runbook, self.opts
        risky = [s.id for s in runbook.steps if s.danger or s.point_of_no_return]
        if risky and not opts.yes and not opts.config.dry_run:
            return (f"runbook {runbook.id} has high-risk steps ({', '.join(risky)}); "
                    "headless runs them only with --yes (or use --dry-run to preview)")
        manual = {i.id for i in runbook.checklist_items() if not i.automatic}
        unknown = [c for c in opts.checks if c not in manual]
        if unknown:
            return (f"--check {', '.join(unknown)}: not a manual checklist item of "
                    f"{runbook.id} (manual items: {', '.join(sorted(manual))})")
        steps = {s.id for s in runbook.steps}
        wrong = [s for s in [*opts.rerun, *opts.skip] if s not in steps]
        if wrong:
            return f"no step {', '.join(wrong)} in {runbook.id} (steps: {', '.join(steps)})"
        return None

    # ---- printing what the session tells -----------------------------------------------------
    def on_event(self, event: SessionEvent) -> None:
        """Print the events that are not printed where they are caused."""
        if isinstance(event, StepProgressed):
            self.print.emit("progress", f"    … {event.line}", line=event.line)
        elif isinstance(event, WarningRaised):
            self.print.emit("warning", f"warning: {event.message}")
        elif isinstance(event, CheckRecorded) and event.automatic:
            item = next(i for i in self.runbook.checklist_items() if i.id == event.item_id)
            values = self.session.values if self.session else self.opts.values
            text = render_text(item.item, values)
            self.print.emit("check", f"[{event.status:^7}] {text} — {event.note}",
                            item=item.id, status=event.status)
        elif isinstance(event, Journaled):
            self._on_journaled(event)

    def _on_journaled(self, journaled: Journaled) -> None:
        data = journaled.event.data
        if journaled.event.type == ev.CLUSTER_CONNECTED:
            where = (f"context {data.get('context')} ({data.get('server')}), namespace "
                     f"{data.get('namespace')}" + (" [drill]" if data.get("drill") else ""))
            self.print.emit("cluster", f"cluster: {where}", context=data.get("context"),
                            server=data.get("server"), namespace=data.get("namespace"))
        elif journaled.event.type == ev.BASELINE_CAPTURED:
            unit = next((m.unit for m in self.runbook.metrics if m.name == data.get("metric")),
                        "")
            self.print.emit("baseline", f"baseline {data.get('metric')}: mean "
                            f"{float(data.get('mean', 0)):.4g} {unit}",
                            metric=data.get("metric"), mean=data.get("mean"))
        elif journaled.event.type == ev.DRILL_TWIST:
            self.print.emit("twist", f"twist #{data.get('seq')} {data.get('event')} "
                            f"({data.get('source')}): {data.get('detail')}", seq=data.get("seq"),
                            event=data.get("event"), source=data.get("source"))
        elif journaled.event.type == ev.TARGET_RESOLVED:
            self.print.emit("target", f"target {data.get('deployment')}: revision "
                            f"{data.get('revision')} ({data.get('version')}), live revision "
                            f"{data.get('live_revision')} ({data.get('live_version')}) — "
                            f"{data.get('reason')}", deployment=data.get("deployment"),
                            revision=data.get("revision"), version=data.get("version"))

    # ---- the run -----------------------------------------------------------------------------
    def execute(self) -> int:
        """The whole run; returns the exit code."""
        refusal = self.preflight()
        if refusal:
            print(f"rollback: {refusal}", file=sys.stderr)
            return EXIT_USAGE
        opts = self.opts
        try:
            if opts.resume is not None:
                session = IncidentSession.resume(opts.resume, self.runbook, opts.runbook_bytes,
                                                 opts.config)
            else:
                session = IncidentSession.open(self.runbook, opts.runbook_bytes, opts.values,
                                               opts.config)
        except SessionError as exc:
            print(f"rollback: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except (OSError, JournalError) as exc:
            where = opts.resume or opts.config.incidents_dir
            print(f"rollback: cannot open the incident in {where}: {exc}", file=sys.stderr)
            return EXIT_FAILED
        self.session = session
        self.print.redactor = session.redactor
        session.subscribe(self.on_event)
        verb = "resumed" if opts.resume is not None else "opened"
        self.print.emit("incident", f"incident {session.incident_id} {verb} ({session.folder})",
                        incident=session.incident_id, folder=str(session.folder))
        try:
            return self._drive(session)
        except Exception as exc:  # noqa: BLE001 - last resort: journal it, no traceback
            message = f"internal error: {exc!r}; the journal is kept in {session.folder}"
            session.journal_error(message)
            self.print.emit("error", message)
            return EXIT_FAILED
        finally:
            try:
                session.close()
            except JournalError as exc:
                print(f"rollback: the journal in {session.folder} could not be completed: "
                      f"{exc}", file=sys.stderr)

    def _drive(self, session: IncidentSession) -> int:
        """Decision, pre-checks, freeze, gates, steps, checks and the summary."""
        opts = self.opts
        if not session.state.decided:
            actor = opts.config.actor_name()
            now = opts.config.clock()
            session.decide(DecisionInput(
                decision=Decision.ROLLBACK, rationale=opts.reason or "(no reason given)",
                authorized_by=actor, team_lead=actor, issue=opts.reason or self.runbook.title,
                impact="not assessed in the tool (headless run)",
                detected_at=min(opts.detected_at or now, now),
                taken="outside the tool (headless run)"))
        if not self._prechecks(session):
            return EXIT_FAILED
        for step_id, reason in opts.skip.items():
            session.skip_step(step_id, reason)
        stopped = self._steps(session)
        completed = stopped is None and session.next_step() is None
        if completed and not opts.config.dry_run:
            session.run_checks()
        for item in opts.checks:
            if session.state.check_status(item) is not CheckStatus.PASS:
                session.tick(item, note="ticked with --check")
        return self._summary(session, stopped)

    def _prechecks(self, session: IncidentSession) -> bool:
        """RBAC, the frozen targets and baselines, and the automatic pre-rollback gates."""
        if session.state.rbac is None or not session.state.rbac.get("ok"):
            outcome = session.rbac_precheck()
            if self.runbook.permissions():
                self.print.emit("rbac", f"RBAC pre-check: {outcome.summary}", ok=outcome.ok)
                for line in outcome.lines:
                    self.print.emit("rbac", f"  {line}")
            if not outcome.ok:
                denied = any(not c["allowed"] for c in outcome.detail.get("checks", []))
                advice = ("ask for the missing permission or use a context that has it" if denied
                          else "the permissions could not be checked; fix the connection and "
                          "run again")
                self.print.emit("stop", f"stopped before changing anything: {advice}")
                return False
        try:
            session.freeze()
        except SessionError as exc:
            session.journal_error(str(exc))
            self.print.emit("stop", f"stopped before changing anything: {exc}")
            return False
        unchecked = [g for g in session.gate_items()
                     if session.state.check_status(g.id) is not CheckStatus.PASS]
        if unchecked and not session.run_gates():
            self.print.emit("stop", "stopped before changing anything: a pre-rollback check "
                            "failed")
            return False
        return True

    def _steps(self, session: IncidentSession) -> str | None:
        """Run every step still to do; returns why it stopped early, or None."""
        total = len(self.runbook.steps)
        numbers = {s.id: n for n, s in enumerate(self.runbook.steps, 1)}
        while (step := session.next_step()) is not None:
            session.sync_twists()  # a drill's twists land in the journal between steps
            if session.cancel.is_set():
                session.record(ev.RUN_INTERRUPTED, {"before_step": step.id})
                self.print.emit("interrupted", f"interrupted before step {step.id}; the "
                                "incident stays open", step=step.id)
                return "interrupted"
            rerun = step.id in self.opts.rerun
            if any(s.step_id == step.id for s in session.interrupted_steps()):
                settled = session.settle_interrupted(step.id)
                self.print.emit("resume", f"step {step.id} was interrupted: {settled.message}",
                                step=step.id, plan=settled.plan)
                if settled.plan is Resumption.DONE:
                    continue
                if settled.plan is Resumption.DECIDE and not rerun:
                    self.print.emit("stop", f"stopped: run it again with `--rerun {step.id}` or "
                                    f"skip it with `--skip {step.id}=REASON`", step=step.id)
                    return "decide"
                rerun = rerun or settled.plan is Resumption.CONFIRM
            try:
                outcome = session.run_step(step.id, rerun=rerun)
            except SessionError as exc:
                self.print.emit("stop", f"stopped: {exc}", step=step.id)
                return "refused"
            if outcome.detail.get("declined"):
                self.print.emit("stop", f"stopped: step {step.id} was not confirmed (--yes)",
                                step=step.id)
                return "declined"
            self.print.emit("step", f"[{outcome.status:^7}] {numbers[step.id]:>2}/{total} "
                            f"{step.id}: {step.title} — {outcome.summary}", step=step.id,
                            status=outcome.status, summary=outcome.summary)
            for line in outcome.lines:
                self.print.emit("output", f"            {line}", step=step.id)
            if session.cancel.is_set():
                where = "during" if outcome.status == StepStatus.INTERRUPTED else "after"
                self.print.emit("interrupted", f"interrupted {where} step {step.id}; the "
                                "incident stays open — check before re-running", step=step.id)
                return "interrupted"
            if not outcome.ok:
                if step.on_failure:
                    self.print.emit("hint", f"            if it fails: {step.on_failure}")
                return "failed"
        return None

    def _summary(self, session: IncidentSession, stopped: str | None) -> int:
        """Print the seed's status with the counts; resolve when nothing is left open."""
        session.sync_twists()
        state = session.state
        counts = {s: 0 for s in (StepStatus.OK, StepStatus.SKIPPED, StepStatus.FAILED,
                                 StepStatus.INTERRUPTED)}
        for step in self.runbook.steps:
            status = state.step_status(step.id)
            if status in counts:
                counts[status] += 1
        items = self.runbook.checklist_items()
        passed = sum(state.check_status(i.id) is CheckStatus.PASS for i in items)
        failed = sum(state.check_status(i.id) is CheckStatus.FAIL for i in items)
        open_items = [i for i in items if state.check_status(i.id) is CheckStatus.OPEN]
        summary = session.status()
        ok = stopped is None and summary.status is not RollbackStatus.FAILED
        status = summary.status if ok else RollbackStatus.FAILED
        text = (f"steps: {counts[StepStatus.OK]} ok, {counts[StepStatus.SKIPPED]} skipped, "
                f"{counts[StepStatus.FAILED]} failed, {counts[StepStatus.INTERRUPTED]} "
                f"interrupted; automatic checks: {passed} passed, {failed} failed; "
                f"{len(open_items)} checklist item(s) open")
        self.print.emit("summary", f"{status} — {text}", status=status, ok=ok,
                        steps={str(k): v for k, v in counts.items()}, checks_passed=passed,
                        checks_failed=failed, open=[i.id for i in open_items],
                        incident=session.incident_id)
        if open_items and not self.opts.json:
            self.print.emit("open", "open: " + ", ".join(i.id for i in open_items))
        if ok and not open_items and not self.opts.config.dry_run:
            session.resolve()
        return EXIT_OK if ok else EXIT_FAILED


def run_headless(opts: RunOptions, out: TextIO = sys.stdout) -> int:
    """Run with Ctrl-C stopping at the next safe point (a second Ctrl-C aborts at once)."""
    driver = HeadlessDriver(opts, out)
    previous: Callable[..., Any] | int | None = None
    if threading.current_thread() is threading.main_thread():
        def on_interrupt(signum: int, frame: Any) -> None:
            session = driver.session
            if session is None or session.cancel.is_set():
                raise KeyboardInterrupt
            # Journaling takes locks the interrupted main thread may hold: do it from a thread.
            def stop() -> None:
                with contextlib.suppress(JournalError, SessionError):
                    session.request_stop()

            threading.Thread(target=stop, daemon=True).start()
            print("\nstopping at the next safe point (Ctrl-C again to abort)", file=sys.stderr)

        previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        return driver.execute()
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
