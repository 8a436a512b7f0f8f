"""Shared data for the pod and rollout panel tests: rows shaped like the drill's, snapshots as
the reflector hands them over, the bad-release rollback mid-way, and harness apps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Static

from tui.domain.pod_details import PodDetails, pod_details
from tui.domain.pods import PodHealth, PodRow, Termination
from tui.domain.rollout import ReplicaSetInfo, RolloutProgress
from widgets.pod_panel import PodPanel
from widgets.rollout_panel import RolloutPanel, RolloutView

NOW = 1_796_010_000.0  # a fixed clock: AGE and elapsed times never move in a test
NEW_HASH, OLD_HASH = "655b57ff64", "7dc4ccd75d"


def row(name: str, status: str = "Running", health: PodHealth = PodHealth.READY, *,
        ready: int | None = None, restarts: int = 0, age: float = 60.0,
        pod_hash: str = NEW_HASH, version: str = "2.3.1", node: str = "drill-node-1",
        uid: str | None = None, last_restart: float | None = None) -> PodRow:
    """A pod row as pod_row makes them (one container)."""
    ready = (1 if health is PodHealth.READY else 0) if ready is None else ready
    return PodRow(
        uid=uid or f"uid-{name}", name=name, namespace="production", ready=ready, total=1,
        status=status, restarts=restarts,
        last_restart=(NOW - last_restart) if last_restart is not None else (
            NOW - 120 if restarts else None),
        created=NOW - age, node=node, ip="10.244.0.7", pod_template_hash=pod_hash,
        version=version, images=(f"registry.drill.local/checkout:{version}",), health=health,
        last_termination=Termination("Error", 1) if restarts else None, resource_version="1")


@dataclass(frozen=True)
class Snap:
    """A reflector snapshot's shape: all rows by uid and what changed."""

    rows: Mapping[str, PodRow]
    added: frozenset[str] = frozenset()
    changed: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()
    relisted: bool = False


def listed(rows: Iterable[PodRow]) -> Snap:
    """A (re-)list of these rows."""
    by_uid = {r.uid: r for r in rows}
    return Snap(MappingProxyType(by_uid), frozenset(by_uid), frozenset(), frozenset(), True)


def changed(before: Mapping[str, PodRow], *rows: PodRow, gone: Iterable[str] = ()) -> Snap:
    """The snapshot after these rows were added or changed and the `gone` uids deleted."""
    after = dict(before)
    gone = set(gone)
    for uid in gone:
        after.pop(uid, None)
    for new in rows:
        after[new.uid] = new
    added = frozenset(r.uid for r in rows if r.uid not in before)
    return Snap(MappingProxyType(after), added,
                frozenset(r.uid for r in rows if r.uid in before), frozenset(gone), False)


REPLICASETS = (
    ReplicaSetInfo(f"checkout-{NEW_HASH}", 4, "2.3.1", ("registry.drill.local/checkout:2.3.1",),
                   3, 2, 1, 1, NEW_HASH),
    ReplicaSetInfo(f"checkout-{OLD_HASH}", 3, "2.4.0", ("registry.drill.local/checkout:2.4.0",),
                   1, 2, 0, 0, OLD_HASH),
)


def rollback_rows() -> list[PodRow]:
    """bad-release mid-rollback: 2.3.1 coming up, 2.4.0 crash-looping and going away."""
    return [
        row(f"checkout-{NEW_HASH}-x2k9d", age=21),
        row(f"checkout-{NEW_HASH}-q8d1m", "ContainerCreating", PodHealth.PENDING, age=3),
        row(f"checkout-{OLD_HASH}-8zgmf", "CrashLoopBackOff", PodHealth.FAILING, restarts=6,
            age=3660, pod_hash=OLD_HASH, version="2.4.0", node="drill-node-2"),
        row(f"checkout-{OLD_HASH}-k8g8w", "Terminating", PodHealth.TERMINATING, restarts=5,
            age=3655, pod_hash=OLD_HASH, version="2.4.0", node="drill-node-3"),
    ]


def rollback_progress(**overrides: Any) -> RolloutProgress:
    """The rollout of the rollback (rev 4 = 2.3.1) half-way."""
    base = RolloutProgress(
        updated=2, ready=1, available=1, desired=3, old_pending=2,
        message='Waiting for deployment "checkout" rollout to finish: 2 out of 3 new replicas '
                "have been updated...",
        generation=5, observed_generation=5, name="checkout", namespace="production", total=4,
        progressing_reason="ReplicaSetUpdated",
        progressing_message=f'ReplicaSet "checkout-{NEW_HASH}" is progressing.',
        new_replicaset=REPLICASETS[0], old_replicasets=(REPLICASETS[1],))
    return replace(base, **overrides)


def stuck_progress() -> RolloutProgress:
    """stuck-rollout: 2.5.0 never becomes ready, past its progress deadline."""
    new = ReplicaSetInfo("checkout-5d8f6b7c9d", 2, "2.5.0", (), 1, 1, 0, 0, "5d8f6b7c9d")
    old = ReplicaSetInfo("checkout-6c9d7e8f5a", 1, "2.4.1", (), 3, 3, 3, 3, "6c9d7e8f5a")
    return RolloutProgress(
        updated=1, ready=3, available=3, desired=3, old_pending=3,
        message='deployment "checkout" exceeded its progress deadline', generation=2,
        observed_generation=2, name="checkout", namespace="production", total=4,
        progressing_reason="ProgressDeadlineExceeded",
        progressing_message='ReplicaSet "checkout-5d8f6b7c9d" has timed out progressing.',
        stuck=True, new_replicaset=new, old_replicasets=(old,))


@dataclass
class Recorder:
    """Messages an app saw."""

    messages: list[Message] = field(default_factory=list)


class PanelApp(App[None]):
    """A harness: the panels where the execution screen puts them (the right half at 120
    columns, full width when narrower), fed with data shaped like the drill's."""

    CSS = """
    #work { width: 1fr; border: round $panel; color: $text-muted; }
    #evidence { width: 1fr; }
    .narrow #work { display: none; }
    """

    def __init__(self, rows: Iterable[PodRow] = (), *, rollouts: Iterable[RolloutView] = (),
                 pods: bool = True, theme: str = "textual-dark") -> None:
        """Panels over these rows and rollouts, in this theme."""
        super().__init__()
        self.rows, self.rollouts, self.with_pods = list(rows), tuple(rollouts), pods
        self.start_theme = theme
        self.seen = Recorder()

    def compose(self) -> ComposeResult:
        """Work area on the left, evidence on the right."""
        with Horizontal():
            yield Static("work area (steps, decision…)", id="work")
            with Vertical(id="evidence"):
                if self.rollouts:
                    yield RolloutPanel(clock=lambda: NOW)
                if self.with_pods:
                    yield PodPanel(clock=lambda: NOW)

    def on_mount(self) -> None:
        """Theme, layout for the width, and the data."""
        self.theme = self.start_theme
        self.set_class(self.size.width < 100, "narrow")
        if self.rollouts:
            self.query_one(RolloutPanel).show(self.rollouts)
        if self.with_pods:
            panel = self.query_one(PodPanel)
            panel.set_replicasets(REPLICASETS)
            panel.apply(listed(self.rows))
            panel.focus()

    def on_pod_panel_details_requested(self, message: PodPanel.DetailsRequested) -> None:
        """Record it (the real screen fetches the details)."""
        self.seen.messages.append(message)

    @property
    def panel(self) -> PodPanel:
        """The pod panel."""
        return self.query_one(PodPanel)


def ago(seconds: float) -> str:
    """An RFC 3339 time `seconds` before NOW."""
    return datetime.fromtimestamp(NOW - seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def crashloop_pod(name: str = f"checkout-{OLD_HASH}-8zgmf") -> dict[str, Any]:
    """A crash-looping 2.4.0 pod as the drill writes it."""
    return {
        "metadata": {"name": name, "namespace": "production", "uid": f"uid-{name}",
                     "creationTimestamp": ago(3660), "resourceVersion": "812",
                     "labels": {"app": "checkout", "pod-template-hash": OLD_HASH,
                                "app.kubernetes.io/version": "2.4.0"}},
        "spec": {"nodeName": "drill-node-2", "containers": [
            {"name": "checkout", "image": "registry.drill.local/checkout:2.4.0"}]},
        "status": {
            "phase": "Running", "podIP": "10.244.0.12",
            "conditions": [
                {"type": "Initialized", "status": "True", "lastTransitionTime": ago(3660)},
                {"type": "Ready", "status": "False", "reason": "ContainersNotReady",
                 "message": "containers with unready status: [checkout]",
                 "lastTransitionTime": ago(40)},
                {"type": "ContainersReady", "status": "False", "reason": "ContainersNotReady",
                 "message": "containers with unready status: [checkout]",
                 "lastTransitionTime": ago(40)},
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": ago(3660)}],
            "containerStatuses": [{
                "name": "checkout", "image": "registry.drill.local/checkout:2.4.0",
                "ready": False, "restartCount": 6, "started": False,
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message":
                                      "back-off 2m40s restarting failed container=checkout "
                                      f"pod={name}_production(uid-{name})"}},
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error",
                                             "startedAt": ago(160), "finishedAt": ago(120)}}}]},
    }


CRASH_EVENTS = [
    {"type": "Normal", "reason": "Scheduled", "message": "Successfully assigned production/"
     f"checkout-{OLD_HASH}-8zgmf to drill-node-2", "count": 1, "lastTimestamp": ago(3660),
     "source": {"component": "default-scheduler"}},
    {"type": "Normal", "reason": "Started", "message": "Started container checkout",
     "count": 7, "lastTimestamp": ago(160), "source": {"component": "kubelet"}},
    {"type": "Warning", "reason": "BackOff", "message": "Back-off restarting failed container "
     f"checkout in pod checkout-{OLD_HASH}-8zgmf_production(uid-checkout-{OLD_HASH}-8zgmf)",
     "count": 23, "lastTimestamp": ago(12), "source": {"component": "kubelet"}},
]
CRASH_LOG = "".join(f"{ago(150 - i)} {line}\n" for i, line in enumerate([
    "starting checkout version 2.4.0", "listening on :8080",
    *["ERROR payment client: upstream returned 500 (request failed)"] * 3]))
PREVIOUS_LOG = CRASH_LOG + f"{ago(121)} panic: nil pointer dereference in payment client\n"


def crashloop_details() -> PodDetails:
    """The details the screen shows for the crash-looping pod."""
    return pod_details(crashloop_pod(), CRASH_EVENTS, CRASH_LOG, PREVIOUS_LOG)
