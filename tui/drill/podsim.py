"""Scripted pod lifecycles: Pending → ContainerCreating → Running/Ready, CrashLoopBackOff, …."""

from __future__ import annotations

import hashlib
import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tui.drill.clock import DrillClock, parse_rfc3339, rfc3339
from tui.drill.events import record_event
from tui.drill.patch_json import json_copy
from tui.drill.podlogs import PodLogs
from tui.drill.store import Store

READY_DELAY = 1.0
# A crash-looping revision serves (badly) for a while between crashes, and the drill caps the
# back-off low, so the broken release keeps hurting traffic instead of just going dark.
CRASH_AFTER = 40.0
BACKOFF_BASE, BACKOFF_CAP = 10.0, 10.0
TERMINATION_SECONDS = 1.0
CRASH_LINE = "panic: nil pointer dereference in payment client"
SIGTERM_LINE = "received SIGTERM, shutting down"
POD_EVENT_LIMIT = 100  # above this many replicas, pods emit no events (scale scenarios)


@dataclass(frozen=True)
class Behavior:
    """What pods of one revision do, and how the application they run behaves."""

    kind: str = "healthy"  # healthy | crashloop | never-ready | image-pull-error
    error_ratio: float = 0.0
    latency_p95: float = 0.1
    start_seconds: float = 3.0
    version: str = ""


BehaviorFor = Callable[[dict[str, Any]], Behavior]
PodKey = tuple[str, str]  # (namespace, name)


@dataclass
class PodSim:
    """The simulation state of one pod."""

    behavior: Behavior
    created: float
    stage: str = "creating"
    next_at: float = 0.0
    restarts: int = 0
    ready: bool = False
    started_at: float | None = None
    last_terminated: dict[str, Any] | None = None
    quiet: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    order: int = 0  # when the simulation started: due pods advance in this order


def _key(pod: dict[str, Any]) -> PodKey:
    return pod["metadata"].get("namespace", ""), pod["metadata"]["name"]


def _image_id(image: str) -> str:
    digest = hashlib.sha256(image.encode()).hexdigest()
    return f"{image.split(':')[0]}@sha256:{digest}"


def _pod_ref(pod: dict[str, Any]) -> str:
    """The kubelet's format.Pod: `name_namespace(uid)`, as its messages name a pod."""
    meta = pod["metadata"]
    return f"{meta['name']}_{meta.get('namespace', '')}({meta.get('uid', '')})"


def _qos_class(spec: dict[str, Any]) -> str:
    """The pod's QoS class as the API server computes it (quantities compared as written).

    Requests without limits (what the scenarios' templates carry) make a pod Burstable; kubectl
    describe shows it, so a hard-coded BestEffort was visibly wrong.
    """
    guaranteed, any_set = True, False
    for container in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        resources = container.get("resources") or {}
        requests = {k: v for k, v in (resources.get("requests") or {}).items()
                    if k in ("cpu", "memory")}
        limits = {k: v for k, v in (resources.get("limits") or {}).items()
                  if k in ("cpu", "memory")}
        any_set = any_set or bool(requests or limits)
        if set(limits) != {"cpu", "memory"} or any(requests.get(k, v) != v
                                                   for k, v in limits.items()):
            guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


class PodLifecycles:
    """Advances every pod through its scripted lifecycle and writes its status."""

    def __init__(self, store: Store, clock: DrillClock, behavior_for: BehaviorFor) -> None:
        self.store, self.clock, self.behavior_for = store, clock, behavior_for
        # By (namespace, name): a simulation exists before its pod (the store's listeners ask
        # whether a new pod serves), and only the simulation deletes pods, so names are unique.
        self.sims: dict[PodKey, PodSim] = {}
        # (next_at, pod) of every scheduled change; an entry whose time no longer matches its
        # pod's next_at is stale and skipped. A tick looks only at what is due.
        self._due: list[tuple[float, PodKey]] = []
        self._started = itertools.count(1)
        self._next_ip = 1
        self.logs = PodLogs(clock)

    def _ip(self) -> str:
        n = self._next_ip
        self._next_ip += 1
        return f"10.244.{n // 250}.{n % 250 + 2}"

    def new_pod(self, template: dict[str, Any], name: str, namespace: str,
                owner: dict[str, Any], quiet: bool, warm: bool = False) -> dict[str, Any]:
        """Create a pod from a template, owned by `owner`, and start its lifecycle.

        A warm pod (the scenario's starting state) has been running for a while already.
        """
        now = self.clock.now()
        spec = json_copy(template.get("spec", {}))
        spec["nodeName"] = "drill-node-1"
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": dict(template.get("metadata", {}).get("labels", {})),
                "annotations": dict(template.get("metadata", {}).get("annotations", {})),
                "generateName": owner["metadata"]["name"] + "-",
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                     "name": owner["metadata"]["name"],
                                     "uid": owner["metadata"]["uid"], "controller": True,
                                     "blockOwnerDeletion": True}],
            },
            "spec": spec,
            "status": {},
        }
        if not pod["metadata"]["annotations"]:
            del pod["metadata"]["annotations"]
        behavior = self.behavior_for(pod)
        sim = PodSim(behavior, now, next_at=now + self.clock.scaled(behavior.start_seconds),
                     quiet=quiet)
        sim.extra["ip"] = self._ip()
        key = (namespace, name)
        if warm:
            self._warm(sim, now)
            pod["metadata"]["creationTimestamp"] = rfc3339(sim.created)
            self._warm_logs(key, name, sim)
        pod["status"] = self._status(pod, sim, now)
        sim.order = next(self._started)
        self.sims[key] = sim
        try:
            created = self.store.create("pods", pod)
        except BaseException:
            del self.sims[key]
            raise
        self._schedule(key, sim)
        if not quiet:
            record_event(self.store, created, "v1", "Pod", "Scheduled",
                         f"Successfully assigned {namespace}/{name} to drill-node-1",
                         component="default-scheduler")
        return created

    def _warm(self, sim: PodSim, now: float) -> None:
        rng = self.store.rng
        sim.created = now - 3600 - rng.randrange(600)
        if sim.behavior.kind in ("healthy", "crashloop"):
            sim.stage, sim.ready = "running", True
            sim.started_at = now - rng.uniform(1, CRASH_AFTER)
            sim.next_at = (now + self.clock.scaled(rng.uniform(2, CRASH_AFTER))
                           if sim.behavior.kind == "crashloop" else float("inf"))
            if sim.behavior.kind == "crashloop":
                sim.restarts = rng.randrange(2, 6)
                sim.last_terminated = {"exitCode": 1, "reason": "Error",
                                       "startedAt": rfc3339(sim.created),
                                       "finishedAt": rfc3339(sim.started_at - 10)}
        elif sim.behavior.kind == "never-ready":
            sim.stage, sim.started_at, sim.next_at = "running", now - 600, float("inf")

    def _warm_logs(self, key: PodKey, name: str, sim: PodSim) -> None:
        last = sim.last_terminated
        if last:
            self.logs.started(key, name, sim.behavior, parse_rfc3339(last["startedAt"]))
            self.logs.stopped(key, parse_rfc3339(last["finishedAt"]), CRASH_LINE)
        if sim.started_at is not None:
            self.logs.started(key, name, sim.behavior, sim.started_at)

    def terminate(self, pod: dict[str, Any]) -> None:
        """Start deleting a pod: Terminating for a moment, then gone."""
        sim = self.sims.get(_key(pod))
        if sim is None or sim.stage == "terminating":
            return
        now = self.clock.now()
        sim.stage, sim.next_at, sim.ready = "terminating", now + TERMINATION_SECONDS, False
        self._schedule(_key(pod), sim)
        updated = {**pod, "metadata": {**pod["metadata"], "deletionTimestamp": rfc3339(now),
                                       "deletionGracePeriodSeconds": 30}}
        updated["status"] = self._status(updated, sim, now)
        self.store.replace("pods", updated)
        self.logs.stopped(_key(pod), now, SIGTERM_LINE)
        if not sim.quiet:
            record_event(self.store, pod, "v1", "Pod", "Killing",
                         f"Stopping container {self._container(pod)}", component="kubelet")

    @staticmethod
    def _container(pod: dict[str, Any]) -> str:
        return pod["spec"]["containers"][0]["name"]

    def _schedule(self, key: PodKey, sim: PodSim) -> None:
        if sim.next_at != float("inf"):
            heapq.heappush(self._due, (sim.next_at, key))

    def _take_due(self, now: float) -> list[tuple[PodKey, PodSim]]:
        """The pods whose change is due, in the order their simulations started."""
        due: dict[PodKey, PodSim] = {}
        while self._due and self._due[0][0] <= now:
            at, key = heapq.heappop(self._due)
            sim = self.sims.get(key)
            if sim is not None and sim.next_at == at:
                due[key] = sim
        return sorted(due.items(), key=lambda item: item[1].order)

    def advance(self) -> None:
        """Move every pod whose next change is due."""
        now = self.clock.now()
        # Taken before any moves: a change due again at once waits for the next tick.
        for key, sim in self._take_due(now):
            entry = self.store.get("pods", *key)
            if entry is None:
                del self.sims[key]
                self.logs.forget(key)
                continue
            pod = entry.obj
            if sim.stage == "terminating":
                self.store.delete("pods", *key)
                del self.sims[key]
                self.logs.forget(key)
                continue
            self._step(pod, sim, now)
            self._schedule(key, sim)
            updated = {**pod, "status": self._status(pod, sim, now)}
            self.store.replace("pods", updated)

    def _event(self, pod: dict[str, Any], sim: PodSim, reason: str, message: str,
               event_type: str = "Normal") -> None:
        if not sim.quiet:
            record_event(self.store, pod, "v1", "Pod", reason, message, event_type=event_type,
                         component="kubelet")

    def _step(self, pod: dict[str, Any], sim: PodSim, now: float) -> None:
        kind, container = sim.behavior.kind, self._container(pod)
        image = pod["spec"]["containers"][0].get("image", "")
        if kind == "image-pull-error":
            sim.stage = "pull-backoff" if sim.stage == "pull-error" else "pull-error"
            sim.next_at = now + self.clock.scaled(5.0)
            self._event(pod, sim, "Failed", f'Failed to pull image "{image}"', "Warning")
            return
        if sim.stage in ("creating", "backoff"):
            sim.stage, sim.started_at = "running", now
            self.logs.started(_key(pod), pod["metadata"]["name"], sim.behavior, now)
            if sim.restarts == 0:
                self._event(pod, sim, "Pulled",
                            f'Container image "{image}" already present on machine')
                self._event(pod, sim, "Created", f"Created container {container}")
            self._event(pod, sim, "Started", f"Started container {container}")
            if kind in ("healthy", "crashloop"):
                sim.next_at = now + self.clock.scaled(READY_DELAY)
            else:
                sim.next_at = float("inf")
            return
        if sim.stage == "running" and not sim.ready and kind in ("healthy", "crashloop"):
            sim.ready = True
            sim.next_at = (float("inf") if kind == "healthy"
                           else now + self.clock.scaled(CRASH_AFTER))
            return
        if sim.stage == "running" and kind == "crashloop":
            sim.ready = False
            sim.restarts += 1
            sim.last_terminated = {"exitCode": 1, "reason": "Error",
                                   "startedAt": rfc3339(sim.started_at or now),
                                   "finishedAt": rfc3339(now)}
            self.logs.stopped(_key(pod), now, CRASH_LINE)
            backoff = min(BACKOFF_BASE * 2 ** (sim.restarts - 1), BACKOFF_CAP)
            sim.stage, sim.next_at = "backoff", now + self.clock.scaled(backoff)
            sim.extra["backoff"] = backoff
            self._event(pod, sim, "BackOff", "Back-off restarting failed container "
                        f"{container} in pod {_pod_ref(pod)}", "Warning")

    def _status(self, pod: dict[str, Any], sim: PodSim, now: float) -> dict[str, Any]:
        created = rfc3339(sim.created)
        statuses = []
        for container in pod["spec"]["containers"]:
            state: dict[str, Any]
            if sim.stage == "running":
                state = {"running": {"startedAt": rfc3339(sim.started_at or now)}}
            elif sim.stage == "backoff":
                state = {"waiting": {"reason": "CrashLoopBackOff", "message":
                                     f"back-off {int(sim.extra.get('backoff', 10))}s restarting "
                                     f"failed container={container['name']} "
                                     f"pod={_pod_ref(pod)}"}}
            elif sim.stage == "pull-error":
                state = {"waiting": {"reason": "ErrImagePull"}}
            elif sim.stage == "pull-backoff":
                state = {"waiting": {"reason": "ImagePullBackOff"}}
            elif sim.stage == "terminating" and sim.started_at is not None:
                state = {"running": {"startedAt": rfc3339(sim.started_at)}}
            else:
                state = {"waiting": {"reason": "ContainerCreating"}}
            status: dict[str, Any] = {
                "name": container["name"], "image": container.get("image", ""),
                "imageID": _image_id(container.get("image", "")) if sim.started_at else "",
                "ready": sim.ready, "restartCount": sim.restarts,
                "started": sim.stage == "running", "state": state,
            }
            if sim.started_at:
                status["containerID"] = "containerd://" + hashlib.sha256(
                    f"{pod['metadata']['name']}{sim.restarts}".encode()).hexdigest()
            if sim.last_terminated:
                status["lastState"] = {"terminated": sim.last_terminated}
            statuses.append(status)
        ready = "True" if sim.ready else "False"
        phase = "Running" if sim.started_at is not None else "Pending"
        conditions = [
            {"type": "PodReadyToStartContainers", "status": "True", "lastProbeTime": None,
             "lastTransitionTime": created},
            {"type": "Initialized", "status": "True", "lastProbeTime": None,
             "lastTransitionTime": created},
            {"type": "Ready", "status": ready, "lastProbeTime": None,
             "lastTransitionTime": rfc3339(now)},
            {"type": "ContainersReady", "status": ready, "lastProbeTime": None,
             "lastTransitionTime": rfc3339(now)},
            {"type": "PodScheduled", "status": "True", "lastProbeTime": None,
             "lastTransitionTime": created},
        ]
        if not sim.ready:
            for cond in conditions[2:4]:
                cond["reason"] = "ContainersNotReady"
                cond["message"] = f"containers with unready status: [{statuses[0]['name']}]"
        previous = pod.get("status", {}).get("conditions")
        if previous:
            # Keep transition times unless the status really changed.
            old = {c["type"]: c for c in previous}
            for cond in conditions:
                before = old.get(cond["type"])
                if before and before["status"] == cond["status"]:
                    cond["lastTransitionTime"] = before["lastTransitionTime"]
        return {"phase": phase, "conditions": conditions, "hostIP": "172.18.0.2",
                "hostIPs": [{"ip": "172.18.0.2"}], "podIP": sim.extra["ip"],
                "podIPs": [{"ip": sim.extra["ip"]}], "startTime": created,
                "containerStatuses": statuses, "qosClass": self._qos(pod, sim)}

    @staticmethod
    def _qos(pod: dict[str, Any], sim: PodSim) -> str:
        # Worked out once per spec object: a status update keeps the pod's spec object.
        known = sim.extra.get("qos")
        if known is None or known[0] is not pod["spec"]:
            known = sim.extra["qos"] = (pod["spec"], _qos_class(pod["spec"]))
        return known[1]

    def serving(self, pod: dict[str, Any]) -> tuple[bool, Behavior | None]:
        """Whether a pod is ready to serve traffic, and its behaviour."""
        sim = self.sims.get(_key(pod))
        if sim is None:
            return False, None
        return sim.ready and sim.stage == "running", sim.behavior

    def restart_log(self, pod: dict[str, Any]) -> PodSim | None:
        """The simulation state (for the logs endpoint)."""
        return self.sims.get(_key(pod))
