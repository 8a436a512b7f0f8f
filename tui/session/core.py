"""The incident session's core: open, resume or follow an incident; journal first, then state.

Every change is appended to the journal durably, then applied to the in-memory state by the
same `apply_event` that replays the journal from disk, then published to subscribers. The
journal is the only source of truth: the state after a restart equals the state before it.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from tui.actions.base import ActionContext, Outcome, generation_key
from tui.adapters.journal import (
    JournalError,
    JournalLock,
    JournalWriter,
    actor_name,
    create_incident_dir,
    load_state,
    read_journal,
)
from tui.adapters.journal_key import JournalKeyError, installation_key, seal_record_path
from tui.adapters.kube_types import KubeError
from tui.domain import incident as ev
from tui.domain.checklist import incident_phase
from tui.domain.comms import known_release
from tui.domain.incident import IncidentState, JournalEvent, Redactor, apply_event, replay
from tui.domain.metrics import Baseline
from tui.domain.redaction import url_credentials
from tui.domain.runbook import CheckItem, Runbook, render_args
from tui.domain.status import CheckStatus, IncidentStatus, Phase, StepStatus
from tui.domain.target import RolloutTarget
from tui.session.events import (
    ConfirmationRequest,
    SessionEvent,
    Subscriber,
    WarningRaised,
    from_journal,
)

if TYPE_CHECKING:
    from tui.adapters.kube import Kube

SECRET_ENV = ("ROLLBACK_PROMETHEUS_TOKEN", "ROLLBACK_PROMETHEUS_PASSWORD")
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
Confirmer = Callable[[ConfirmationRequest], bool]


def refuse(_request: ConfirmationRequest) -> bool:
    """The confirmer of a session nobody can ask: every confirmation is declined."""
    return False


class SessionError(Exception):
    """An operation the session refuses, worded for the operator: why, and what to do."""


def now_utc() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


@dataclass
class SessionConfig:
    """Where and how a session works: folders, cluster, metrics, modes, collaborators."""

    incidents_dir: Path
    kubeconfig: str | None = None
    context: str | None = None
    namespace: str | None = None
    prometheus_url: str | None = None
    dry_run: bool = False
    time_scale: float = 1.0
    baseline_window: float = 3600.0
    baseline_end_ago: float = 900.0
    environ: Mapping[str, str] = field(default_factory=dict)
    actor: str | None = None
    drill: bool = False
    headless: bool = False
    confirmer: Confirmer = refuse
    confirmed_by: str = ""
    connect_kube: Callable[[], Kube] | None = None
    clock: Callable[[], datetime] = now_utc
    key_folder: Path | None = None  # where the installation's journal key lives (None: unkeyed)

    def actor_name(self) -> str:
        """Who the journal says acted: the configured actor, else user@host."""
        return self.actor or actor_name(self.environ or None)


def _masked_params(runbook: Runbook, values: Mapping[str, str]) -> dict[str, str]:
    return {k: ("***" if (p := runbook.parameter(k)) is not None and p.secret else v)
            for k, v in values.items() if k not in ("incident_id", "incident_dir")}


def _secrets(runbook: Runbook, values: Mapping[str, str], config: SessionConfig
             ) -> list[str]:
    # URL passwords are registered too, so their encoded forms (a URL in a query) are masked.
    return [*runbook.secret_values(values), *url_credentials(values.values()),
            *(config.environ[k] for k in SECRET_ENV if config.environ.get(k))]


def runbook_digest(runbook_bytes: bytes) -> str:
    """The sha256 the journal keeps of the runbook an incident follows."""
    return hashlib.sha256(runbook_bytes).hexdigest()


class SessionCore:
    """State, journal, subscribers and the action context of one incident."""

    def __init__(self, runbook: Runbook, values: dict[str, str], folder: Path,
                 config: SessionConfig, writer: JournalWriter | None,
                 state: IncidentState) -> None:
        """Use `open`, `resume` or `follow` instead."""
        self.runbook, self.values, self.folder, self.config = runbook, values, folder, config
        self.writer = writer
        self.state = state
        self.incident_id = folder.name
        self._lock = threading.RLock()
        self._subscribers: list[Subscriber] = []
        self.redactor = Redactor(_secrets(runbook, values, config))
        self.cancel = threading.Event()  # set by a stop request: the run stops at a safe point
        self.step_cancel: threading.Event | None = None  # the running step's, if interruptible
        self.ctx = self._context()
        self._restore_context()

    # ---- construction ------------------------------------------------------------------------
    @classmethod
    def open(cls, runbook: Runbook, runbook_bytes: bytes, values: Mapping[str, str],
             config: SessionConfig) -> Self:
        """Create a new incident for `runbook` and journal how it started."""
        now = config.clock()
        incident_id, folder = create_incident_dir(config.incidents_dir, runbook.id, now)
        values = {**values, "incident_id": incident_id, "incident_dir": str(folder)}
        writer = cls._writer(runbook, values, folder, config)
        session = cls(runbook, values, folder, config, writer.open(), IncidentState())
        session.record(ev.INCIDENT_OPENED, {
            "incident_id": incident_id, "title": runbook.title, "runbook_id": runbook.id,
            "runbook_version": runbook.version, "runbook_sha256": runbook_digest(runbook_bytes),
            "runbook_source": runbook.source, "params": _masked_params(runbook, values),
            "headless": config.headless, "dry_run": config.dry_run, "drill": config.drill,
            "pid": os.getpid(), "host": socket.gethostname(),
            "connection": {"kubeconfig": config.kubeconfig, "context": config.context,
                           "namespace": config.namespace,
                           "prometheus_url": config.prometheus_url,
                           "time_scale": config.time_scale}})
        session.after_open()
        return session

    @classmethod
    def resume(cls, folder: Path, runbook: Runbook, runbook_bytes: bytes,
               config: SessionConfig, *, announce: bool = True,
               resolved_ok: bool = False) -> Self:
        """Take over an incident whose process died: same runbook, parameters and progress.

        Refuses (SessionError) a runbook whose content changed since the incident opened, an
        incident already resolved, and one another live process holds (JournalLockedError).
        `announce=False` attaches for a one-off change (a tick, a note) without journaling a
        resumption; `resolved_ok=True` also attaches to a resolved incident (what follows the
        resolution: the last messages, the post-incident record).
        """
        state, parsed = load_state(folder)
        if state.incident_id is None:
            raise SessionError(f"{folder}: the journal has no incident.opened event; it cannot "
                               "be resumed (rollback incidents show tells what it holds)")
        if state.status is IncidentStatus.RESOLVED and not resolved_ok:
            raise SessionError(f"incident {folder.name} is already resolved "
                               f"({state.rollback_status or state.outcome}); nothing to resume")
        digest = runbook_digest(runbook_bytes)
        if state.runbook_sha256 and digest != state.runbook_sha256:
            raise SessionError(
                f"the runbook {runbook.id} ({runbook.source}) changed since incident "
                f"{folder.name} opened: the journal has sha256 {state.runbook_sha256}, the file "
                f"now has {digest} — restore the file as it was (e.g. git checkout) and resume "
                "again, or open a new incident with the changed runbook")
        given = {k: str(v) for k, v in state.params.items()
                 if (p := runbook.parameter(k)) is not None and not p.secret}
        try:
            values = runbook.resolve_parameters(given, config.environ)
        except ValueError as exc:
            raise SessionError(f"cannot resume {folder.name}: {exc}") from None
        values.update(incident_id=folder.name, incident_dir=str(folder))
        previous = JournalLock(folder).holder()
        writer = cls._writer(runbook, values, folder, config).open()
        # Replay again under the lock: nobody can have appended since, and a torn tail the
        # writer quarantined on open is now in the journal too.
        state, parsed = load_state(folder)
        session = cls(runbook, values, folder, config, writer, state)
        if not announce:
            return session
        interrupted = [s.step_id for s in state.steps.values()
                       if s.status is StepStatus.INTERRUPTED]
        session.record(ev.SESSION_RESUMED, {
            "pid": os.getpid(), "host": socket.gethostname(), "previous_holder": previous,
            "interrupted_steps": interrupted, "events": len(parsed.events)})
        return session

    @classmethod
    def follow(cls, folder: Path, runbook: Runbook, config: SessionConfig) -> Self:
        """A read-only view of an incident another process may be writing (no lock taken)."""
        from tui.adapters.journal_tail import JournalTail

        tail = JournalTail(folder, track_state=False)
        state = replay(tail.poll().events, live=True)
        values = {k: str(v) for k, v in state.params.items()}
        values.update(incident_id=folder.name, incident_dir=str(folder))
        session = cls(runbook, values, folder, config, None, state)
        session._tail = tail
        return session

    @staticmethod
    def _writer(runbook: Runbook, values: Mapping[str, str], folder: Path,
                config: SessionConfig) -> JournalWriter:
        secrets = _secrets(runbook, values, config)
        if config.key_folder is None:
            return JournalWriter(folder, actor=config.actor_name(), secret_values=secrets)
        try:
            key = installation_key(config.key_folder)
        except (JournalKeyError, OSError) as exc:
            raise SessionError(f"cannot use the journal key: {exc}") from None
        return JournalWriter(folder, actor=config.actor_name(), secret_values=secrets, key=key,
                             seal_note=seal_record_path(config.key_folder, folder.name))

    def after_open(self) -> None:
        """Called once the new incident is journaled (drills journal their scenario here)."""

    def before_resolve(self) -> None:
        """Called just before incident.resolved (drills journal their change record here)."""

    # ---- journal first -----------------------------------------------------------------------
    @property
    def read_only(self) -> bool:
        """Whether this session only follows (no writer)."""
        return self.writer is None

    def record(self, kind: str, data: Mapping[str, Any] | None = None) -> JournalEvent:
        """Append an event durably, apply it to the state, tell the subscribers."""
        if self.writer is None:
            raise SessionError(f"incident {self.incident_id} is open read-only here (followed): "
                               "changes are made by the session that holds it")
        with self._lock:
            event = self.writer.append_durable(kind, dict(data or {}))
            apply_event(self.state, event)
            snapshot = self.state.copy()
        for published in from_journal(event, snapshot):
            self.publish(published)
        return event

    def poll(self) -> list[JournalEvent]:
        """Follow mode: apply what another process appended since the last poll (reads only
        the new bytes); chain problems are published as warnings, never applied silently."""
        tail = self._tail
        if tail is None:
            return []
        batch = tail.poll()
        if batch.restarted:
            with self._lock:
                self.state = replay([], live=True)
        for problem in batch.problems:
            self.publish(WarningRaised(f"journal: {problem.message}", self.snapshot()))
        for event in batch.events:
            with self._lock:
                apply_event(self.state, event)
                snapshot = self.state.copy()
            for published in from_journal(event, snapshot):
                self.publish(published)
        return batch.events

    _tail: Any = None

    def phase(self) -> Phase:
        """Where the incident stands: assess, decide, execute, verify or closed."""
        return incident_phase(self.runbook, self.state)

    def journal_events(self) -> list[JournalEvent]:
        """Every event of the journal so far (for a timeline that starts complete)."""
        return read_journal(self.folder).events

    def snapshot(self) -> IncidentState:
        """A copy of the state, safe to hand to another thread."""
        with self._lock:
            return self.state.copy()

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call `subscriber` with every event from now on; returns how to unsubscribe."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber) if subscriber in \
            self._subscribers else None

    def publish(self, event: SessionEvent) -> None:
        """Tell every subscriber (in this thread; a UI marshals to its own loop)."""
        for subscriber in list(self._subscribers):
            subscriber(event)

    def close(self) -> None:
        """Flush and release the journal; the incident stays as the journal says."""
        if self._tail is not None:
            self._tail.close()
        kube = self.ctx._kube
        if kube is not None:
            kube.close()
        if self.writer is not None:
            writer, self.writer = self.writer, None
            writer.close()

    # ---- the action context ------------------------------------------------------------------
    def _context(self) -> ActionContext:
        config = self.config
        return ActionContext(
            runbook=self.runbook, values=self.values, incident_dir=self.folder,
            redactor=self.redactor, dry_run=config.dry_run, connect_kube=self._connect,
            prometheus_url=config.prometheus_url or self.values.get("prometheus_url"),
            cancel=self.cancel, time_scale=config.time_scale)

    def _connect(self) -> Kube:
        """Connect to the cluster on first use and journal where we are."""
        if self.config.connect_kube is not None:
            kube = self.config.connect_kube()
        else:
            from tui.adapters.kube import Kube

            namespace = self.config.namespace or self.values.get("namespace")
            kube = Kube.connect(self.config.kubeconfig, self.config.context, namespace)
        target = kube.target
        known = self.state.cluster
        if known and (known.get("server"), known.get("context")) != (target.server,
                                                                    target.context):
            kube.close()
            raise KubeError(
                f"incident {self.incident_id} was worked on context {known.get('context')} "
                f"({known.get('server')}); this session connects to context {target.context} "
                f"({target.server}) — pass --context/--kubeconfig for the incident's cluster",
                reason="WrongCluster")
        if self.writer is not None:
            self.record(ev.CLUSTER_CONNECTED, {
                "context": target.context, "server": target.server,
                "namespace": target.namespace, "in_cluster": target.in_cluster,
                "drill": self.config.drill or target.drill})
        return kube

    @property
    def kube(self) -> Kube:
        """The cluster connection (made on first use; blocking: call from a worker)."""
        return self.ctx.kube

    def _restore_context(self) -> None:
        """Put back what later steps need from the journal: baselines, targets, generations."""
        for name, data in self.state.baselines.items():
            try:
                self.ctx.baselines[name] = Baseline.from_dict(data)
            except ValueError:
                continue
        for key, data in self.state.targets.items():
            self.ctx.targets[key] = RolloutTarget.from_dict(data)
        for step in self.runbook.steps:
            done = self.state.steps.get(step.id)
            if step.action != "k8s.rollout_undo" or done is None or "generation" not in done.data:
                continue
            ns = str(done.data.get("namespace") or self._rendered(step.args, "namespace"))
            name = str(done.data.get("deployment") or self._rendered(step.args, "deployment"))
            self.ctx.state[generation_key(ns, name)] = int(done.data["generation"])
        self.show_targets_in_commands()

    def show_targets_in_commands(self) -> None:
        """Commands shown to the operator name the frozen target's revision (not "0", the
        previous one): the parameter an undo step's `to_revision` uses takes its number."""
        for step in self.runbook.steps:
            if step.action != "k8s.rollout_undo":
                continue
            match = _PLACEHOLDER.fullmatch(str(step.args.get("to_revision", "")).strip())
            key = f"{self._rendered(step.args, 'namespace') or self.values.get('namespace')}/" \
                  f"{self._rendered(step.args, 'deployment')}"
            target = self.ctx.targets.get(key)
            if match and target is not None:
                self.values[match.group(1)] = str(target.revision)
        self.fill_known_defaults()

    def fill_known_defaults(self) -> None:
        """`release` and `lead` left at their defaults ("the current release", "on-call
        engineer") read badly in the messages steps post: once the incident knows them (the
        version the frozen targets replace, the decision's lead) they take those."""
        lead = str((self.state.decision or {}).get("team_lead") or "").strip()
        release = known_release(self.runbook, self.values, self.state)
        for name, known in (("release", release), ("lead", lead)):
            parameter = self.runbook.parameter(name)
            if known and parameter is not None and parameter.default is not None and \
                    self.values.get(name) == str(parameter.default):
                self.values[name] = known

    def _rendered(self, args: Mapping[str, Any], key: str) -> str:
        try:
            return str(render_args(args.get(key, ""), self.values))
        except ValueError:
            return str(args.get(key, ""))

    def record_check_outcome(self, item: CheckItem, outcome: Outcome, *,
                             gate: bool = False) -> CheckStatus:
        """Journal an automatic item's result. A check a dry run could not perform stays open."""
        status = {StepStatus.OK: CheckStatus.PASS,
                  StepStatus.SKIPPED: CheckStatus.OPEN}.get(outcome.status, CheckStatus.FAIL)
        data = {"item_id": item.id, "status": status, "note": outcome.summary,
                "automatic": True}
        if gate:
            data["gate"] = True
        value = outcome.detail.get("value")
        if value is not None:
            data["value"] = value
        self.record(ev.CHECK_RECORDED, data)
        return status

    def journal_retry(self, where: dict[str, str],
                      progress: Callable[[str], None] | None = None
                      ) -> Callable[[dict[str, Any]], None]:
        """A reporter that journals each retried request, tagged with where it happened."""
        def report(info: dict[str, Any]) -> None:
            self.record(ev.REQUEST_RETRIED, {**where, **info})
            if progress is not None:
                progress(f"{info.get('status')} {info.get('reason')} on {info.get('verb')} "
                         f"{info.get('resource')}: trying again (attempt {info.get('attempt')})")

        return report

    def journal_error(self, message: str) -> None:
        """Journal and publish a warning; a journal that cannot be written says so instead."""
        try:
            self.record(ev.WARNING_RAISED, {"message": message})
        except (JournalError, SessionError):
            pass
