"""`rollback run --headless`: a runbook executed unattended, every action journaled."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from tui.actions.base import (
    FAILED,
    INTERRUPTED,
    OK,
    SKIPPED,
    ActionContext,
    Outcome,
    run_async,
)
from tui.actions.registry import describe, execute
from tui.adapters.journal import (
    JournalError,
    JournalWriter,
    actor_name,
    create_incident_dir,
)
from tui.domain import incident as ev
from tui.domain.assessment import Decision, DecisionRecord, format_duration
from tui.domain.incident import Redactor
from tui.domain.runbook import CheckItem, Runbook, Step, render_args

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
SECRET_ENV = ("ROLLBACK_PROMETHEUS_TOKEN", "ROLLBACK_PROMETHEUS_PASSWORD")


@dataclass
class RunOptions:
    """What `rollback run --headless` was asked to do."""

    runbook: Runbook
    runbook_bytes: bytes
    values: dict[str, str]
    incidents_dir: Path
    kubeconfig: str | None = None
    context: str | None = None
    namespace: str | None = None
    prometheus_url: str | None = None
    dry_run: bool = False
    yes: bool = False
    reason: str = ""
    json: bool = False
    checks: list[str] = field(default_factory=list)
    time_scale: float = 1.0
    baseline_window: float = 3600.0
    baseline_end_ago: float = 900.0
    environ: dict[str, str] = field(default_factory=dict)
    actor: str | None = None
    detected_at: datetime | None = None


class Printer:
    """One line per event for people, or one JSON object per line with --json."""

    def __init__(self, out: TextIO, as_json: bool) -> None:
        self.out, self.as_json = out, as_json
        self.redactor = Redactor(())  # replaced by the run's once its secrets are known

    def emit(self, kind: str, text: str, **data: Any) -> None:
        """Print an event, secrets masked as in the journal."""
        text = self.redactor.text(text)
        if self.as_json:
            record = self.redactor({"type": kind, "message": text, **data})
            self.out.write(json.dumps(record, default=str) + "\n")
        else:
            self.out.write(text + "\n")
        self.out.flush()


def _masked_params(runbook: Runbook, values: dict[str, str]) -> dict[str, str]:
    return {k: ("***" if (p := runbook.parameter(k)) is not None and p.secret else v)
            for k, v in values.items() if k not in ("incident_id", "incident_dir")}


class HeadlessRun:
    """One unattended run: open the incident, check, execute, verify, summarise."""

    def __init__(self, opts: RunOptions, out: TextIO = sys.stdout) -> None:
        self.opts, self.runbook = opts, opts.runbook
        self.print = Printer(out, opts.json)
        self.cancel = threading.Event()
        self.step_cancel: threading.Event | None = None  # the running step's, if interruptible
        self.gates: dict[str, str] = {}  # automatic pre-rollback items: id → outcome status
        self.writer: JournalWriter | None = None

    # ---- journal ---------------------------------------------------------------------------
    def journal(self, event_type: str, data: dict[str, Any]) -> None:
        """Append durably (headless has no UI thread to protect; durability first)."""
        assert self.writer is not None
        self.writer.append_durable(event_type, data)

    # ---- phases ----------------------------------------------------------------------------
    def preflight(self) -> str | None:
        """Refusals that need no incident: danger without --yes, unknown --check ids."""
        risky = [s.id for s in self.runbook.steps if s.danger or s.point_of_no_return]
        if risky and not self.opts.yes and not self.opts.dry_run:
            return (f"runbook {self.runbook.id} has high-risk steps ({', '.join(risky)}); "
                    "headless runs them only with --yes (or use --dry-run to preview)")
        manual = {i.id for i in self.runbook.checklist_items() if not i.automatic}
        unknown = [c for c in self.opts.checks if c not in manual]
        if unknown:
            return (f"--check {', '.join(unknown)}: not a manual checklist item of "
                    f"{self.runbook.id} (manual items: {', '.join(sorted(manual))})")
        return None

    def open_incident(self) -> Path:
        """Create the incident folder and journal, and record how the run started."""
        now = datetime.now(UTC)
        incident_id, folder = create_incident_dir(self.opts.incidents_dir, self.runbook.id, now)
        values = self.opts.values
        values.update(incident_id=incident_id, incident_dir=str(folder))
        secrets = [*self.runbook.secret_values(values),
                   *(self.opts.environ[k] for k in SECRET_ENV if self.opts.environ.get(k))]
        self.redactor = Redactor(secrets)
        self.print.redactor = self.redactor
        actor = self.opts.actor or actor_name(self.opts.environ or None)
        self.writer = JournalWriter(folder, actor=actor,
                                    secret_values=secrets).open()
        self.journal(ev.INCIDENT_OPENED, {
            "incident_id": incident_id, "title": self.runbook.title,
            "runbook_id": self.runbook.id, "runbook_version": self.runbook.version,
            "runbook_sha256": hashlib.sha256(self.opts.runbook_bytes).hexdigest(),
            "runbook_source": self.runbook.source,
            "params": _masked_params(self.runbook, values), "headless": True,
            "dry_run": self.opts.dry_run, "drill": False})
        # The decision was taken outside the tool: record it in the seed's Decision Template.
        detected = self.opts.detected_at or now
        record = DecisionRecord(
            issue=self.opts.reason or self.runbook.title,
            impact="not assessed in the tool (headless run)", detected_at=min(detected, now),
            decided_at=now, decision=Decision.ROLLBACK,
            rationale=self.opts.reason or "(no reason given)",
            expected_resolution=str(self.runbook.estimated_time.get("expected", "")),
            authorized_by=actor, team_lead=actor)
        self.journal(ev.DECISION_RECORDED, {**record.to_dict(),
                                            "taken": "outside the tool (headless run)",
                                            "time_lost": format_duration(record.time_lost)})
        self.print.emit("incident", f"incident {incident_id} opened ({folder})",
                        incident=incident_id, folder=str(folder))
        return folder

    def context(self, folder: Path) -> ActionContext:
        """The context every action of this run shares."""
        from tui.adapters.kube import Kube

        opts = self.opts
        kube_ns = opts.namespace or opts.values.get("namespace")

        def connect() -> Kube:
            kube = Kube.connect(opts.kubeconfig, opts.context, kube_ns)
            target = kube.target
            self.journal(ev.CLUSTER_CONNECTED, {"context": target.context,
                                                 "server": target.server,
                                                 "namespace": target.namespace,
                                                 "in_cluster": target.in_cluster})
            self.print.emit("cluster", f"cluster: {target.describe()}", context=target.context,
                            server=target.server, namespace=target.namespace)
            return kube

        return ActionContext(
            runbook=self.runbook, values=opts.values, incident_dir=folder,
            redactor=self.redactor, dry_run=opts.dry_run, connect_kube=connect,
            prometheus_url=opts.prometheus_url or opts.values.get("prometheus_url"),
            confirm=lambda question: opts.yes, operator_done=lambda _text: False,
            progress=lambda line: self.print.emit("progress", f"    … {line}", line=line),
            cancel=self.cancel, time_scale=opts.time_scale)

    def capture_baselines(self, ctx: ActionContext) -> None:
        """The runbook's metrics over the hour before the release, for later comparison."""
        from tui.adapters.prometheus import Prometheus, PrometheusError

        if not self.runbook.metrics or not ctx.prometheus_url:
            return
        end = time.time() - self.opts.baseline_end_ago

        async def capture(query: str) -> Any:
            async with Prometheus(ctx.prometheus_url) as prometheus:
                return await prometheus.baseline(query, end, window=self.opts.baseline_window)

        for metric in self.runbook.metrics:
            query = render_args(metric.query, ctx.values)
            try:
                baseline = run_async(capture(query))
            except PrometheusError as exc:
                message = f"no baseline for {metric.name}: {exc}"
                self.journal(ev.WARNING_RAISED, {"message": message})
                self.print.emit("warning", f"warning: {message}", metric=metric.name)
                continue
            ctx.baselines[metric.name] = baseline
            self.journal(ev.BASELINE_CAPTURED, {"metric": metric.name, **baseline.to_dict()})
            self.print.emit("baseline", f"baseline {metric.name}: mean {baseline.mean:.4g} "
                            f"{metric.unit}", metric=metric.name, mean=baseline.mean)

    def rbac_precheck(self, ctx: ActionContext) -> bool:
        """Every permission the runbook needs, before anything changes; False if one is missing."""
        if not self.runbook.permissions():
            return True
        from tui.actions.k8s import RbacCheck

        # The runbook's own checks may name more permissions (e.g. a ConfigMap path).
        extra = [e for s in self.runbook.steps if s.action == "k8s.rbac_check"
                 for e in render_args(list(s.args.get("extra") or []), ctx.values)]
        outcome = execute_safely(lambda: RbacCheck().run({"extra": extra}, ctx))
        self.journal(ev.RBAC_CHECKED, {"ok": outcome.ok, "summary": outcome.summary,
                                       **outcome.detail})
        self.print.emit("rbac", f"RBAC pre-check: {outcome.summary}", ok=outcome.ok)
        for line in outcome.lines:
            self.print.emit("rbac", f"  {line}")
        if not outcome.ok:
            denied = any(not c["allowed"] for c in outcome.detail.get("checks", []))
            advice = ("ask for the missing permission or use a context that has it" if denied
                      else "the permissions could not be checked; fix the connection and run "
                      "again")
            self.print.emit("stop", f"stopped before changing anything: {advice}")
        return outcome.ok

    def pre_checks(self, ctx: ActionContext) -> bool:
        """Automatic pre-rollback items (backup age, the blue side healthy…) gate the steps."""
        ok = True
        for item in self.runbook.pre_rollback:
            if item.check is None:
                continue
            outcome = execute(item.check, ctx)
            self.gates[item.id] = outcome.status
            ok = self.record_check(item, outcome, ctx) and ok
        if not ok:
            self.print.emit("stop", "stopped before changing anything: a pre-rollback check "
                            "failed")
        return ok

    def record_check(self, item: CheckItem, outcome: Outcome, ctx: ActionContext) -> bool:
        """Journal and print an automatic item's result; False only if it failed."""
        # A check a dry run could not perform stays open; it neither passes nor fails.
        status = {OK: "pass", SKIPPED: "open"}.get(outcome.status, "fail")
        self.journal(ev.CHECK_RECORDED, {"item_id": item.id, "status": status,
                                         "note": outcome.summary, "automatic": True})
        text = render_safely(item.item, ctx.values)
        self.print.emit("check", f"[{status:^7}] {text} — {outcome.summary}", item=item.id,
                        status=status)
        return status != "fail"

    def run_steps(self, ctx: ActionContext) -> tuple[dict[str, int], bool]:
        """Every step in order; stops at the first failure or at Ctrl-C. Returns counts."""
        counts = {OK: 0, FAILED: 0, SKIPPED: 0, INTERRUPTED: 0}
        total = len(self.runbook.steps)
        for number, step in enumerate(self.runbook.steps, 1):
            if self.cancel.is_set():
                self.journal(ev.RUN_INTERRUPTED, {"before_step": step.id})
                self.print.emit("interrupted", f"interrupted before step {step.id}; the "
                                "incident stays open", step=step.id)
                return counts, True
            request = describe(step, ctx)
            started: dict[str, Any] = {"step_id": step.id, "title": step.title,
                                       "action": step.action, "dry_run": self.opts.dry_run,
                                       "request": request}
            if step.needs_confirmation:
                started["confirmed_by"] = "--yes" if self.opts.yes else "dry-run"
            self.journal(ev.STEP_STARTED, started)
            outcome, timed_out = self.run_one(step, ctx)
            if outcome.status == FAILED and (self.cancel.is_set() or timed_out):
                # Cut short by Ctrl-C or its own timeout: not a verdict on the cluster.
                outcome.status = INTERRUPTED
                if timed_out:
                    outcome.summary = f"gave up after the step's timeout {step.timeout}: " \
                                      f"{outcome.summary}"
            self.journal(ev.STEP_FINISHED, {"step_id": step.id, "status": outcome.status,
                                            "detail": outcome.summary, "data": outcome.detail})
            counts[outcome.status] += 1
            self.print.emit("step", f"[{outcome.status:^7}] {number:>2}/{total} {step.id}: "
                            f"{step.title} — {outcome.summary}", step=step.id,
                            status=outcome.status, summary=outcome.summary)
            for line in outcome.lines:
                self.print.emit("output", f"            {line}", step=step.id)
            if self.cancel.is_set():
                # A step that finished keeps its status; the run stops after it.
                where = "during_step" if outcome.status == INTERRUPTED else "after_step"
                self.journal(ev.RUN_INTERRUPTED, {where: step.id})
                self.print.emit("interrupted", f"interrupted {where.replace('_', ' ')} "
                                f"{step.id}; the incident stays open — check before re-running",
                                step=step.id)
                return counts, True
            if outcome.status in (FAILED, INTERRUPTED):
                if step.on_failure:
                    self.print.emit("hint", f"            if it fails: {step.on_failure}")
                return counts, False
        return counts, False

    def run_one(self, step: Step, ctx: ActionContext) -> tuple[Outcome, bool]:
        """Execute one step under its own timeout; Ctrl-C reaches it unless it must finish.

        A step marked danger or point of no return (a down migration, say) is never killed
        half-way by the first Ctrl-C: the run stops after it. Returns (outcome, timed out).
        """
        step_cancel = threading.Event()
        self.step_cancel = None if (step.danger or step.point_of_no_return) else step_cancel
        if self.step_cancel is not None and self.cancel.is_set():
            step_cancel.set()
        timer = None
        timed_out = threading.Event()
        if step.timeout:
            def expire() -> None:
                timed_out.set()
                step_cancel.set()

            timer = threading.Timer(ctx.seconds(step.timeout, "0s"), expire)
            timer.daemon = True
            timer.start()
        step_ctx = dataclasses.replace(ctx, cancel=step_cancel)
        try:
            return execute(step, step_ctx), timed_out.is_set()
        finally:
            ctx._kube = step_ctx._kube  # a connection made during the step is kept for the run
            self.step_cancel = None
            if timer is not None:
                timer.cancel()

    def verify(self, ctx: ActionContext, ran: bool) -> tuple[int, int, list[CheckItem]]:
        """Automatic checklist items (only after every step passed); returns passes, fails,
        and the items still open."""
        passed = failed = 0
        open_items: list[CheckItem] = []
        for item in self.runbook.checklist_items():
            if item.id in self.gates:
                # Judged before the steps (a failure there stopped the run).
                if self.gates[item.id] == SKIPPED:
                    open_items.append(item)
                else:
                    passed += 1
            elif item.automatic and ran and item.check is not None:
                outcome = execute(item.check, ctx)
                good = self.record_check(item, outcome, ctx)
                if outcome.status == SKIPPED:
                    open_items.append(item)
                else:
                    passed, failed = passed + good, failed + (not good)
            elif not item.automatic and item.id in self.opts.checks:
                self.journal(ev.CHECK_RECORDED, {"item_id": item.id, "status": "pass",
                                                 "note": "ticked with --check"})
                passed += 1
            else:
                open_items.append(item)
        return passed, failed, open_items

    def execute(self) -> int:
        """The whole run; returns the exit code."""
        refusal = self.preflight()
        if refusal:
            print(f"rollback: {refusal}", file=sys.stderr)
            return EXIT_USAGE
        try:
            folder = self.open_incident()
        except (OSError, JournalError) as exc:
            print(f"rollback: cannot open an incident in {self.opts.incidents_dir}: {exc} — "
                  "check that the folder is writable (ROLLBACK_HOME moves it)", file=sys.stderr)
            return EXIT_FAILED
        try:
            return self._execute(folder)
        except Exception as exc:  # noqa: BLE001 - last resort: journal it, no traceback
            message = f"internal error: {exc!r}; the journal is kept in {folder}"
            with contextlib.suppress(JournalError):
                self.journal(ev.WARNING_RAISED, {"message": message})
            self.print.emit("error", message)
            return EXIT_FAILED
        finally:
            if self.writer is not None:
                try:
                    self.writer.close()
                except JournalError as exc:
                    print(f"rollback: the journal in {folder} could not be completed: {exc}",
                          file=sys.stderr)

    def _execute(self, folder: Path) -> int:
        """Baselines, pre-check, steps, checks and the summary of an opened incident."""
        ctx = self.context(folder)
        self.capture_baselines(ctx)
        if not self.rbac_precheck(ctx) or not self.pre_checks(ctx):
            return EXIT_FAILED
        counts, interrupted = self.run_steps(ctx)
        # A dry run changed nothing, so there is nothing to verify yet.
        stopped = bool(counts[FAILED] or counts[INTERRUPTED] or interrupted)
        ran = not stopped and not self.opts.dry_run
        passed, failed, open_items = self.verify(ctx, ran)
        ok = not stopped and failed == 0
        summary = (f"steps: {counts[OK]} ok, {counts[SKIPPED]} skipped, {counts[FAILED]} "
                   f"failed, {counts[INTERRUPTED]} interrupted; automatic checks: {passed} passed, {failed} failed; "
                   f"{len(open_items)} checklist item(s) open")
        # The seed's Rollback Status: SUCCESS, PARTIAL (items still open) or FAILED.
        status = "FAILED" if not ok else ("PARTIAL" if open_items else "SUCCESS")
        self.print.emit("summary", f"{status} — {summary}", status=status,
                        ok=ok, steps=counts, checks_passed=passed, checks_failed=failed,
                        open=[i.id for i in open_items], incident=ctx.values["incident_id"])
        if open_items and not self.opts.json:
            self.print.emit("open", "open: " + ", ".join(i.id for i in open_items))
        if ok and not open_items and not self.opts.dry_run:
            self.journal(ev.INCIDENT_RESOLVED, {"outcome": "success"})
        return EXIT_OK if ok else EXIT_FAILED


def render_safely(text: str, values: dict[str, str]) -> str:
    """Fill placeholders in display text; leave it as written if a value is missing."""
    try:
        return render_args(text, values)
    except ValueError:
        return text


def execute_safely(fn: Callable[[], Outcome]) -> Outcome:
    """Run an executor call, turning adapter errors into a failed outcome."""
    from tui.adapters.kube_types import KubeError

    try:
        return fn()
    except KubeError as exc:
        return Outcome(FAILED, str(exc), {"error": exc.to_dict()})


def run_headless(opts: RunOptions, out: TextIO = sys.stdout) -> int:
    """Run with Ctrl-C stopping between steps (a second Ctrl-C aborts at once)."""
    run = HeadlessRun(opts, out)
    previous = None
    if threading.current_thread() is threading.main_thread():
        def on_interrupt(signum: int, frame: Any) -> None:
            if run.cancel.is_set():
                raise KeyboardInterrupt
            # Event.set takes a lock the interrupted main thread may hold: set it from a thread.
            def stop() -> None:
                run.cancel.set()
                if run.step_cancel is not None:
                    run.step_cancel.set()

            threading.Thread(target=stop, daemon=True).start()
            print("\nstopping at the next safe point (Ctrl-C again to abort)", file=sys.stderr)

        previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        return run.execute()
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
