"""Pods as kubectl shows them: the READY/STATUS/RESTARTS/AGE logic, and a compact row per pod.

`kubectl_status` is kubectl's printPod (shared by the drill's server-side tables and the app);
`pod_row` keeps only what a pod panel shows, so tens of thousands of pods fit in a few dozen MB.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, NamedTuple

VERSION_LABELS = ("app.kubernetes.io/version", "version")
HASH_LABEL = "pod-template-hash"
# kubectl STATUS texts that mean the pod's containers fail (waiting or terminated reasons).
FAILING_REASONS = frozenset({
    "CrashLoopBackOff", "Error", "ImagePullBackOff", "ErrImagePull", "OOMKilled",
    "CreateContainerConfigError", "CreateContainerError", "InvalidImageName", "ErrImageNeverPull",
    "RunContainerError", "ContainerCannotRun", "StartError", "PostStartHookError",
    "PreStopHookError", "ContainerStatusUnknown", "DeadlineExceeded", "Evicted",
    "UnexpectedAdmissionError", "NodeAffinity", "OutOfcpu", "OutOfmemory", "Failed",
})
PENDING_REASONS = frozenset({"Pending", "ContainerCreating", "PodInitializing",
                             "SchedulingGated"})


class PodHealth(StrEnum):
    """How a pod is doing, in one word a panel can colour."""

    READY = "ready"
    RUNNING_NOT_READY = "running-not-ready"
    FAILING = "failing"
    PENDING = "pending"
    TERMINATING = "terminating"
    COMPLETED = "completed"
    UNKNOWN = "unknown"


class KubectlStatus(NamedTuple):
    """The READY, STATUS and RESTARTS columns of `kubectl get pods`, before formatting."""

    ready: int
    total: int
    reason: str
    restarts: int
    last_restart: float | None


@dataclass(frozen=True, slots=True)
class Termination:
    """How a container last ended: reason (`Error`, `OOMKilled`…) and exit code."""

    reason: str
    exit_code: int | None


@dataclass(slots=True, eq=True)
class PodRow:
    """One pod as a pod panel shows it; no raw API data is kept (treat as immutable)."""

    uid: str
    name: str
    namespace: str
    ready: int
    total: int
    status: str
    restarts: int
    last_restart: float | None
    created: float | None
    node: str
    ip: str
    pod_template_hash: str
    version: str
    images: tuple[str, ...]
    health: PodHealth
    last_termination: Termination | None
    resource_version: str
    revision: int | None = None

    @property
    def ready_text(self) -> str:
        """kubectl's READY cell: `1/2`."""
        return f"{self.ready}/{self.total}"


# --- time -------------------------------------------------------------------------------------

def human_duration(seconds: float) -> str:
    """k8s.io/apimachinery duration.HumanDuration: ~2-3 significant figures, as in AGE."""
    whole = int(seconds)  # Go's int(d.Seconds()) truncates toward zero
    if whole < -1:
        return "<invalid>"
    if whole < 0:
        return "0s"
    if whole < 120:
        return f"{whole}s"
    minutes = whole // 60
    if minutes < 10:
        return f"{minutes}m{whole % 60}s" if whole % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = whole // 3600
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = hours // 24 % 365
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


def epoch(timestamp: Any) -> float | None:
    """Epoch seconds of an RFC 3339 timestamp (Time or MicroTime); None when unset or invalid."""
    if not timestamp or not isinstance(timestamp, str):
        return None
    try:
        parsed = datetime.fromisoformat(timestamp)
    except ValueError:
        return None
    # Kubernetes always writes UTC; never let a bare timestamp pick up the local zone.
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def since(timestamp: Any, now: float) -> str:
    """translateTimestampSince: "<unknown>" for a zero time."""
    return age_text(epoch(timestamp), now)


def age_text(created: float | None, now: float) -> str:
    """kubectl's AGE cell for an epoch time ("<unknown>" when unset)."""
    return "<unknown>" if created is None else human_duration(now - created)


def restarts_text(row: PodRow | KubectlStatus, now: float) -> str:
    """kubectl's RESTARTS cell: `6 (2m ago)`, or just the count."""
    if row.restarts and row.last_restart is not None:
        return f"{row.restarts} ({human_duration(now - row.last_restart)} ago)"
    return str(row.restarts)


# --- kubectl's printPod -----------------------------------------------------------------------

def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def has_condition(conditions: Any, kind: str) -> bool:
    """Whether a condition of this type has status "True"."""
    return any(_dict(c).get("type") == kind and _dict(c).get("status") == "True"
               for c in _list(conditions))


def pod_ready(pod: dict[str, Any]) -> bool:
    """Whether a pod's Ready condition is True (what a Service's endpoints count)."""
    return has_condition(_dict(pod.get("status")).get("conditions"), "Ready")


def _finished(container: dict[str, Any]) -> float | None:
    return epoch(_dict(_dict(container.get("lastState")).get("terminated")).get("finishedAt"))


def _later(current: float | None, done: float | None) -> float | None:
    if done is None:
        return current
    return done if current is None or done > current else current


def kubectl_status(pod: dict[str, Any]) -> KubectlStatus:
    """kubectl's printPod: ready/total containers, the STATUS reason, restarts and the last one."""
    spec, status = _dict(pod.get("spec")), _dict(pod.get("status"))
    phase = _text(status.get("phase"))
    reason = _text(status.get("reason")) or phase
    conditions = _list(status.get("conditions"))
    for condition in conditions:
        condition = _dict(condition)
        if condition.get("type") == "PodScheduled" and condition.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    init_specs = _list(spec.get("initContainers"))
    # Sidecars (init containers with restartPolicy Always) count as regular containers.
    sidecars = {_dict(c).get("name") for c in init_specs
                if _dict(c).get("restartPolicy") == "Always"}
    total, ready = len(_list(spec.get("containers"))) + len(sidecars), 0
    restarts, sidecar_restarts = 0, 0
    last_restart: float | None = None
    last_sidecar_restart: float | None = None

    initializing = False
    for index, container in enumerate(_list(status.get("initContainerStatuses"))):
        container = _dict(container)
        state = _dict(container.get("state"))
        terminated, waiting = state.get("terminated"), _dict(state.get("waiting"))
        count = _int(container.get("restartCount"))
        restarts += count
        done = _finished(container)
        last_restart = _later(last_restart, done)
        is_sidecar = container.get("name") in sidecars
        if is_sidecar:
            sidecar_restarts += count
            last_sidecar_restart = _later(last_sidecar_restart, done)
        if isinstance(terminated, dict) and _int(terminated.get("exitCode")) == 0:
            continue
        if is_sidecar and container.get("started"):
            ready += 1 if container.get("ready") else 0
            continue
        if isinstance(terminated, dict):
            if _text(terminated.get("reason")):
                reason = "Init:" + terminated["reason"]
            elif terminated.get("signal"):
                reason = f"Init:Signal:{terminated['signal']}"
            else:
                reason = f"Init:ExitCode:{_int(terminated.get('exitCode'))}"
        elif _text(waiting.get("reason")) and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{index}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or has_condition(conditions, "Initialized"):
        restarts, last_restart = sidecar_restarts, last_sidecar_restart
        has_running = False
        for container in reversed(_list(status.get("containerStatuses"))):
            container = _dict(container)
            restarts += _int(container.get("restartCount"))
            last_restart = _later(last_restart, _finished(container))
            state = _dict(container.get("state"))
            waiting, terminated = _dict(state.get("waiting")), state.get("terminated")
            if _text(waiting.get("reason")):
                reason = waiting["reason"]
            elif isinstance(terminated, dict) and _text(terminated.get("reason")):
                reason = terminated["reason"]
            elif isinstance(terminated, dict):
                signal = terminated.get("signal")
                reason = (f"Signal:{signal}" if signal
                          else f"ExitCode:{_int(terminated.get('exitCode'))}")
            elif container.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if has_condition(conditions, "Ready") else "NotReady"

    if _dict(pod.get("metadata")).get("deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif phase not in ("Succeeded", "Failed"):
            reason = "Terminating"
    return KubectlStatus(ready, total, reason, restarts, last_restart)


# --- the compact row --------------------------------------------------------------------------

def health_of(status: KubectlStatus, phase: str) -> PodHealth:
    """The pod's health from kubectl's STATUS text, the phase and the ready count."""
    reason = status.reason
    if reason == "Terminating":
        return PodHealth.TERMINATING
    if reason in ("Completed", "Succeeded") or phase == "Succeeded":
        return PodHealth.COMPLETED
    bare = reason.removeprefix("Init:")
    if (bare in FAILING_REASONS or bare.startswith(("Signal:", "ExitCode:"))
            or phase == "Failed"):
        return PodHealth.FAILING
    if reason in PENDING_REASONS or reason.startswith("Init:") or phase == "Pending":
        return PodHealth.PENDING
    if reason == "NotReady":
        return PodHealth.RUNNING_NOT_READY
    if reason == "Running":
        return (PodHealth.READY if status.total and status.ready == status.total
                else PodHealth.RUNNING_NOT_READY)
    return PodHealth.UNKNOWN


def image_tag(image: str) -> str:
    """The tag of an image reference (`registry:5000/app:1.2@sha256:…` → `1.2`); "" if none."""
    name = image.split("@", 1)[0]
    slash, colon = name.rfind("/"), name.rfind(":")
    if colon > slash:
        return name[colon + 1:]
    return "" if "@" in image else "latest"


def last_termination(status: dict[str, Any]) -> Termination | None:
    """The most recent container termination (current or last state) of a pod's containers."""
    found: Termination | None = None
    newest: float | None = None
    for container in _list(status.get("containerStatuses")):
        container = _dict(container)
        for holder in (container.get("state"), container.get("lastState")):
            terminated = _dict(_dict(holder).get("terminated"))
            if not terminated:
                continue
            when = epoch(terminated.get("finishedAt"))
            if found is None or (when is not None and (newest is None or when > newest)):
                code = terminated.get("exitCode")
                found = Termination(_intern(_text(terminated.get("reason"))),
                                    code if isinstance(code, int) else None)
                newest = when
    return found


_TUPLES: dict[tuple[str, ...], tuple[str, ...]] = {}
_TUPLE_CACHE_LIMIT = 4096


def _intern(text: str) -> str:
    return sys.intern(text) if text else ""


def _shared(images: tuple[str, ...]) -> tuple[str, ...]:
    """One tuple object for every pod with the same images (pods of a revision share them)."""
    known = _TUPLES.get(images)
    if known is not None:
        return known
    if len(_TUPLES) < _TUPLE_CACHE_LIMIT:
        _TUPLES[images] = images
    return images


def pod_row(raw: dict[str, Any]) -> PodRow:
    """A pod API object as a compact row; never raises on odd or hostile shapes."""
    meta, spec, status = _dict(raw.get("metadata")), _dict(raw.get("spec")), _dict(
        raw.get("status"))
    labels = _dict(meta.get("labels"))
    printed = kubectl_status(raw)
    images = _shared(tuple(_intern(_text(_dict(c).get("image")))
                           for c in _list(spec.get("containers"))))
    version = next((v for k in VERSION_LABELS if (v := _text(labels.get(k)))), "")
    if not version and images:
        version = image_tag(images[0])
    pod_ip = _text(status.get("podIP")) or _text(_dict(
        (_list(status.get("podIPs")) or [{}])[0]).get("ip"))
    return PodRow(
        uid=_text(meta.get("uid")), name=_text(meta.get("name")),
        namespace=_intern(_text(meta.get("namespace"))),
        ready=printed.ready, total=printed.total, status=_intern(printed.reason),
        restarts=printed.restarts, last_restart=printed.last_restart,
        created=epoch(meta.get("creationTimestamp")),
        node=_intern(_text(spec.get("nodeName"))), ip=pod_ip,
        pod_template_hash=_intern(_text(labels.get(HASH_LABEL))),
        version=_intern(version), images=images,
        health=health_of(printed, _text(status.get("phase"))),
        last_termination=last_termination(status),
        resource_version=_text(meta.get("resourceVersion")))
