"""One pod in depth, as a details view shows it: conditions, each container's state with its
last termination (reason, exit code), recent events, and the tail of the current and previous
container's log. Built from raw API objects; never raises on odd shapes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tui.domain.pods import PodHealth, epoch, kubectl_status, pod_row

TAIL_LINES = 20
EVENTS_KEPT = 10


@dataclass(frozen=True, slots=True)
class ConditionInfo:
    """A pod condition (`Ready False ContainersNotReady …`)."""

    kind: str
    status: str
    reason: str = ""
    message: str = ""
    changed: float | None = None


@dataclass(frozen=True, slots=True)
class ContainerInfo:
    """A container's state now and how it last ended."""

    name: str
    image: str
    ready: bool
    restarts: int
    state: str  # running, waiting, terminated, unknown
    reason: str = ""  # of the current state: CrashLoopBackOff, Completed…
    message: str = ""
    since: float | None = None  # started (running) or finished (terminated)
    exit_code: int | None = None  # of the current state, when terminated
    last_reason: str = ""  # of the last termination: Error, OOMKilled…
    last_exit_code: int | None = None
    last_finished: float | None = None
    last_message: str = ""


@dataclass(frozen=True, slots=True)
class EventInfo:
    """A Kubernetes Event about the pod."""

    kind: str  # Normal or Warning
    reason: str
    message: str
    count: int = 1
    last_seen: float | None = None
    source: str = ""


@dataclass(frozen=True)
class PodDetails:
    """Everything the details view shows about one pod (plain data; no API objects kept)."""

    name: str
    namespace: str
    uid: str = ""
    node: str = ""
    ip: str = ""
    phase: str = ""
    status: str = ""  # kubectl's STATUS
    ready_text: str = ""
    restarts: int = 0
    created: float | None = None
    health: PodHealth = PodHealth.UNKNOWN
    version: str = ""
    conditions: tuple[ConditionInfo, ...] = ()
    containers: tuple[ContainerInfo, ...] = ()
    events: tuple[EventInfo, ...] = ()  # newest first
    container: str = ""  # the container whose log lines these are
    log: tuple[str, ...] = ()
    previous_log: tuple[str, ...] = ()
    log_note: str = ""  # why there is no current log, when there is none
    previous_log_note: str = ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _code(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def container_info(raw: Any) -> ContainerInfo:
    """A containerStatuses entry as a ContainerInfo."""
    raw = _dict(raw)
    state = _dict(raw.get("state"))
    kind = next((k for k in ("running", "waiting", "terminated") if isinstance(state.get(k),
                                                                             dict)), "unknown")
    now = _dict(state.get(kind))
    last = _dict(_dict(raw.get("lastState")).get("terminated"))
    restarts = raw.get("restartCount")
    return ContainerInfo(
        name=_text(raw.get("name")), image=_text(raw.get("image")),
        ready=raw.get("ready") is True,
        restarts=restarts if isinstance(restarts, int) and not isinstance(restarts, bool) else 0,
        state=kind, reason=_text(now.get("reason")), message=_text(now.get("message")),
        since=epoch(now.get("startedAt") if kind == "running" else now.get("finishedAt")),
        exit_code=_code(now.get("exitCode")) if kind == "terminated" else None,
        last_reason=_text(last.get("reason")), last_exit_code=_code(last.get("exitCode")),
        last_finished=epoch(last.get("finishedAt")), last_message=_text(last.get("message")))


def event_info(raw: Any) -> EventInfo:
    """An Event (core/v1 or events.k8s.io shape) as an EventInfo."""
    raw = _dict(raw)
    count = raw.get("count") or _dict(raw.get("series")).get("count") or 1
    seen = (epoch(raw.get("lastTimestamp")) or epoch(raw.get("eventTime"))
            or epoch(raw.get("firstTimestamp"))
            or epoch(_dict(raw.get("metadata")).get("creationTimestamp")))
    source = _text(_dict(raw.get("source")).get("component")) or _text(
        raw.get("reportingComponent"))
    return EventInfo(kind=_text(raw.get("type")) or "Normal", reason=_text(raw.get("reason")),
                     message=_text(raw.get("message")),
                     count=count if isinstance(count, int) and count > 0 else 1,
                     last_seen=seen, source=source)


def log_tail(text: str | None, lines: int = TAIL_LINES) -> tuple[str, ...]:
    """The last `lines` lines of a log (empty when there is none)."""
    if not text:
        return ()
    # Only newlines end a line (a lone carriage return or form feed is data, shown as such).
    split = [line.removesuffix("\r") for line in text.split("\n")]
    if split and split[-1] == "":
        split.pop()
    return tuple(split[-lines:])


def log_container(pod: dict[str, Any]) -> str:
    """The container whose logs tell most: one that restarted or is not ready, else the first."""
    statuses = [_dict(s) for s in _dict(pod.get("status")).get("containerStatuses") or []]
    for status in statuses:
        if status.get("restartCount") or status.get("ready") is False:
            return _text(status.get("name"))
    containers = _dict(pod.get("spec")).get("containers") or []
    return _text(_dict(containers[0]).get("name")) if containers else ""


def pod_details(pod: dict[str, Any], events: Iterable[Any] = (), log: str | None = None,
                previous_log: str | None = None, *, container: str = "", log_note: str = "",
                previous_log_note: str = "", tail: int = TAIL_LINES) -> PodDetails:
    """The details of a pod API object, its events (any order), and its two log tails."""
    pod = _dict(pod)
    row = pod_row(pod)
    status = _dict(pod.get("status"))
    conditions = tuple(
        ConditionInfo(kind=_text(c.get("type")), status=_text(c.get("status")),
                      reason=_text(c.get("reason")), message=_text(c.get("message")),
                      changed=epoch(c.get("lastTransitionTime")))
        for c in map(_dict, status.get("conditions") or []))
    found = sorted((event_info(e) for e in events), key=lambda e: -(e.last_seen or 0.0))
    return PodDetails(
        name=row.name, namespace=row.namespace, uid=row.uid, node=row.node, ip=row.ip,
        phase=_text(status.get("phase")), status=row.status, ready_text=row.ready_text,
        restarts=kubectl_status(pod).restarts, created=row.created, health=row.health,
        version=row.version, conditions=conditions,
        containers=tuple(container_info(c) for c in status.get("containerStatuses") or []),
        events=tuple(found[:EVENTS_KEPT]), container=container or log_container(pod),
        log=log_tail(log, tail), previous_log=log_tail(previous_log, tail),
        log_note=log_note, previous_log_note=previous_log_note)
