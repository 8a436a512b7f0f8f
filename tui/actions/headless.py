"""`rollback run --headless`: a runbook executed unattended, every action journaled."""

from __future__ import annotations

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
from tui.adapters.journal import JournalWriter, actor_name, create_incident_dir
from tui.domain import incident as ev
from tui.domain.incident import Redactor
from tui.domain.runbook import CheckItem, Runbook, render_args

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


class Printer:
    """One line per event for people, or one JSON object per line with --json."""

    def __init__(self, out: TextIO, as_json: bool) -> None:
        self.out, self.as_json = out, as_json

    def emit(self, kind: str, text: str, **data: Any) -> None:
        """Print an event."""
        if self.as_json:
            self.out.write(json.dumps({"type": kind, "message": text, **data}, default=str) + "\n")
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
        self.journal(ev.DECISION_RECORDED, {
            "decision": "ROLLBACK", "taken": "outside the tool (headless run)",
            "rationale": self.opts.reason or "(no reason given)",
            "decided_at": now.isoformat(timespec="seconds")})
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
            ok = self.record_check(item, execute(item.check, ctx), ctx) and ok
        if not ok:
            self.print.emit("stop", "stopped before changing anything: a pre-rollback check "
                            "failed")
        return ok

    def record_check(self, item: CheckItem, outcome: Outcome, ctx: ActionContext) -> bool:
        """Journal and print an automatic item's result; True if it passed."""
        status = "pass" if outcome.status == OK else "fail"
        self.journal(ev.CHECK_RECORDED, {"item_id": item.id, "status": status,
                                         "note": outcome.summary, "automatic": True})
        text = render_safely(item.item, ctx.values)
        self.print.emit("check", f"[{status:^7}] {text} — {outcome.summary}", item=item.id,
                        status=status)
        return status == "pass"

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
            outcome = execute(step, ctx)
            if self.cancel.is_set() and outcome.status != SKIPPED:
                # Whatever the step reported, it was cut short: say so, not "failed" or "ok".
                outcome.status = INTERRUPTED
            self.journal(ev.STEP_FINISHED, {"step_id": step.id, "status": outcome.status,
                                            "detail": outcome.summary, "data": outcome.detail})
            counts[outcome.status] += 1
            self.print.emit("step", f"[{outcome.status:^7}] {number:>2}/{total} {step.id}: "
                            f"{step.title} — {outcome.summary}", step=step.id,
                            status=outcome.status, summary=outcome.summary)
            for line in outcome.lines:
                self.print.emit("output", f"            {line}", step=step.id)
            if outcome.status == INTERRUPTED:
                self.journal(ev.RUN_INTERRUPTED, {"during_step": step.id})
                self.print.emit("interrupted", f"interrupted during step {step.id}; the "
                                "incident stays open — check before re-running", step=step.id)
                return counts, True
            if outcome.status == FAILED:
                if step.on_failure:
                    self.print.emit("hint", f"            if it fails: {step.on_failure}")
                return counts, False
        return counts, False

    def verify(self, ctx: ActionContext, ran: bool) -> tuple[int, int, list[CheckItem]]:
        """Automatic checklist items (only after every step passed); returns passes, fails,
        and the items still open."""
        passed = failed = 0
        open_items: list[CheckItem] = []
        gates = {i.id for i in self.runbook.pre_rollback if i.automatic}
        for item in self.runbook.checklist_items():
            if item.id in gates:
                passed += 1  # judged before the steps (a failure there stops the run)
            elif item.automatic and ran and item.check is not None:
                good = self.record_check(item, execute(item.check, ctx), ctx)
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
        folder = self.open_incident()
        try:
            return self._execute(folder)
        except Exception as exc:  # noqa: BLE001 - last resort: journal it, no traceback
            message = f"internal error: {exc!r}; the journal is kept in {folder}"
            self.journal(ev.WARNING_RAISED, {"message": message})
            self.print.emit("error", message)
            return EXIT_FAILED
        finally:
            if self.writer is not None:
                self.writer.close()

    def _execute(self, folder: Path) -> int:
        """Baselines, pre-check, steps, checks and the summary of an opened incident."""
        ctx = self.context(folder)
        self.capture_baselines(ctx)
        if not self.rbac_precheck(ctx) or not self.pre_checks(ctx):
            return EXIT_FAILED
        counts, interrupted = self.run_steps(ctx)
        # A dry run changed nothing, so there is nothing to verify yet.
        ran = counts[FAILED] == 0 and not interrupted and not self.opts.dry_run
        passed, failed, open_items = self.verify(ctx, ran)
        ok = counts[FAILED] == 0 and not interrupted and failed == 0
        summary = (f"steps: {counts[OK]} ok, {counts[SKIPPED]} skipped, {counts[FAILED]} "
                   f"failed{', 1 interrupted' if interrupted else ''}; automatic checks: {passed} passed, {failed} failed; "
                   f"{len(open_items)} checklist item(s) open")
        self.print.emit("summary", ("SUCCESS — " if ok else "FAILED — ") + summary,
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
            threading.Thread(target=run.cancel.set, daemon=True).start()
            print("\nstopping at the next safe point (Ctrl-C again to abort)", file=sys.stderr)

        previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        return run.execute()
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
