"""Scripted pod lifecycles: Pending → ContainerCreating → Running/Ready, CrashLoopBackOff, ….

Every change happens at a moment (`at`): events, log lines and status times carry the moment it
happened, not the tick that noticed it. The scenario's starting pods replay their history from
their creation to now the same way, so what `describe` shows adds up.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tui.drill.clock import DrillClock, parse_rfc3339, rfc3339
from tui.drill.events import record_event
from tui.drill.patch_json import json_copy
from tui.drill.podlogs import PodLogs
from tui.drill.podstatus import container_id, pod_ref, pod_status, qos_class
from tui.drill.store import Store

READY_DELAY = 1.0
# A crash-looping container serves (badly) about this long between its start and its panic.
CRASH_AFTER = 40.0
# The kubelet's restart back-off: 10 s doubling to 5 minutes, back to 10 s once a container
# ran 10 minutes; a pod waiting it out is re-synced (and says BackOff again) every 20 s or so.
BACKOFF_BASE, BACKOFF_CAP, BACKOFF_RESET = 10.0, 300.0, 600.0
BACKOFF_RESYNC = 20.0
PROBE_PERIOD = 5.0  # readinessProbe.periodSeconds of the scenarios' templates
TERMINATION_SECONDS = 1.0
POD_EVENT_LIMIT = 100  # above this many replicas, pods emit no events (scale scenarios)
CRASH_LINE = "panic: nil pointer dereference in payment client"
SIGTERM_LINE = "received SIGTERM, shutting down"


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
# (reason, message, type, component) -> [first, last, count] of events held back while replaying
HeldEvents = dict[tuple[str, str, str, str], list[float]]


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
    instance: int = 0  # container instances started so far
    backoff: float = 0.0  # the current restart back-off (scenario seconds)
    restart_at: float = math.inf  # when the back-off ends
    ready_since: float = 0.0  # when readiness last changed
    ready_spans: list[tuple[float, float]] = field(default_factory=list)  # replayed history


def rollout_step(clock: DrillClock, behavior: Behavior) -> float:
    """Real seconds between the surge batches of a rolling update of such pods: the time a pod
    takes to start and turn ready, and a moment for the controller to notice."""
    return clock.scaled(behavior.start_seconds + READY_DELAY) + 1.0


def _key(pod: dict[str, Any]) -> PodKey:
    return pod["metadata"].get("namespace", ""), pod["metadata"]["name"]


def _probe_target(pod: dict[str, Any], ip: str) -> str | None:
    """The readiness probe's URL (None: the container has no HTTP readiness probe)."""
    probe = (pod["spec"]["containers"][0].get("readinessProbe") or {}).get("httpGet")
    if not probe:
        return None
    return f"http://{ip}:{probe.get('port', 80)}{probe.get('path', '/')}"


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
        # owner uid -> (warm pods created so far, when the owner was created)
        self._warm_created: dict[str, tuple[int, float | None]] = {}
        self._held: HeldEvents | None = None  # events of a history being replayed

    def _ip(self) -> str:
        n = self._next_ip
        self._next_ip += 1
        return f"10.244.{n // 250}.{n % 250 + 2}"

    def new_pod(self, template: dict[str, Any], name: str, namespace: str,
                owner: dict[str, Any], quiet: bool, warm: bool = False) -> dict[str, Any]:
        """Create a pod from a template, owned by `owner`, and start its lifecycle.

        A warm pod (the scenario's starting state) was created by its ReplicaSet's rollout and
        has lived since: its history is replayed up to now.
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
        created = self.warm_creation(owner, behavior, now) if warm else now
        sim = PodSim(behavior, created, next_at=created + self.clock.scaled(behavior.start_seconds),
                     quiet=quiet)
        sim.extra["ip"] = self._ip()
        key = (namespace, name)
        held: HeldEvents = {}
        if warm:
            pod["metadata"]["creationTimestamp"] = rfc3339(created)
            pod["metadata"]["uid"] = self.store.new_uid()  # the replay's messages name it
            self._held = held
            try:
                while sim.next_at <= now:
                    self._step(pod, sim, sim.next_at)
            finally:
                self._held = None
        pod["status"] = self._status(pod, sim)
        sim.order = next(self._started)
        self.sims[key] = sim
        try:
            stored = self.store.create("pods", pod)
        except BaseException:
            del self.sims[key]
            raise
        self._schedule(key, sim)
        if not quiet:
            record_event(self.store, stored, "v1", "Pod", "Scheduled",
                         f"Successfully assigned {namespace}/{name} to drill-node-1",
                         component="default-scheduler", at=created)
            for (reason, message, kind, component), (first, last, count) in held.items():
                record_event(self.store, stored, "v1", "Pod", reason, message, event_type=kind,
                             component=component, at=last, first_at=first, count=int(count))
        return stored

    def warm_creation(self, owner: dict[str, Any], behavior: Behavior, now: float) -> float:
        """When a starting pod was created: by its ReplicaSet's rolling update, one surge batch
        after another as the previous batch became ready (never in the future)."""
        uid = owner["metadata"]["uid"]
        index, start = self._warm_created.get(uid, (0, None))
        if start is None:
            born = owner["metadata"].get("creationTimestamp")
            start = parse_rfc3339(born) if born else now
        self._warm_created[uid] = (index + 1, start)
        replicas = max(owner["spec"].get("replicas", 1), 1)
        batch = max(math.ceil(replicas / 4), 1)  # maxSurge 25 %
        return min(start + 1.0 + (index // batch) * rollout_step(self.clock, behavior), now)

    def terminate(self, pod: dict[str, Any]) -> None:
        """Start deleting a pod: Terminating for a moment, then gone."""
        sim = self.sims.get(_key(pod))
        if sim is None or sim.stage == "terminating":
            return
        now = self.clock.now()
        if sim.ready:
            sim.ready_since = now
        sim.stage, sim.next_at, sim.ready = "terminating", now + TERMINATION_SECONDS, False
        self._schedule(_key(pod), sim)
        updated = {**pod, "metadata": {**pod["metadata"], "deletionTimestamp": rfc3339(now),
                                       "deletionGracePeriodSeconds": 30}}
        updated["status"] = self._status(updated, sim)
        self.store.replace("pods", updated)
        self.logs.stopped(_key(pod), now, SIGTERM_LINE)
        self._event(pod, sim, now, "Killing", f"Stopping container {self._container(pod)}")

    def fail_readiness(self, key: PodKey, seconds: float) -> bool:
        """Make a ready pod's readiness probe fail for `seconds` of scenario time (a drill
        twist), then pass again; whether the pod was ready (store lock held)."""
        sim, entry = self.sims.get(key), self.store.get("pods", *key)
        if sim is None or entry is None or not sim.ready or sim.stage != "running":
            return False
        now, pod = self.clock.now(), entry.obj
        sim.ready, sim.ready_since = False, now
        sim.next_at = now + self.clock.scaled(seconds)  # _step turns a running pod ready again
        self._schedule(key, sim)
        self._event(pod, sim, now, "Unhealthy", "Readiness probe failed: HTTP probe failed with "
                    "statuscode: 503", "Warning")
        self.store.replace("pods", {**pod, "status": self._status(pod, sim)})
        return True

    @staticmethod
    def _container(pod: dict[str, Any]) -> str:
        return pod["spec"]["containers"][0]["name"]

    def _schedule(self, key: PodKey, sim: PodSim) -> None:
        if sim.next_at != math.inf:
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
            changed = self._step(pod, sim, sim.next_at)
            self._schedule(key, sim)
            if changed:
                self.store.replace("pods", {**pod, "status": self._status(pod, sim)})

    def _event(self, pod: dict[str, Any], sim: PodSim, at: float, reason: str, message: str,
               event_type: str = "Normal") -> None:
        if sim.quiet:
            return
        if self._held is not None:  # replaying history: one event per kind, counted
            known = self._held.setdefault((reason, message, event_type, "kubelet"), [at, at, 0])
            known[1], known[2] = at, known[2] + 1
            return
        record_event(self.store, pod, "v1", "Pod", reason, message, event_type=event_type,
                     component="kubelet", at=at)

    def _step(self, pod: dict[str, Any], sim: PodSim, at: float) -> bool:
        """Make the change due at `at`; whether the pod's status changed."""
        kind = sim.behavior.kind
        if kind == "image-pull-error":
            image = pod["spec"]["containers"][0].get("image", "")
            sim.stage = "pull-backoff" if sim.stage == "pull-error" else "pull-error"
            sim.next_at = at + self.clock.scaled(5.0)
            self._event(pod, sim, at, "Failed", f'Failed to pull image "{image}"', "Warning")
            return True
        if sim.stage == "backoff" and at < sim.restart_at:
            self._backing_off(pod, sim, at)  # a re-sync while the back-off lasts
            return False
        if sim.stage in ("creating", "backoff"):
            self._start(pod, sim, at)
            return True
        if sim.stage != "running":
            sim.next_at = math.inf
            return False
        if not sim.ready and kind in ("healthy", "crashloop"):
            sim.ready, sim.ready_since = True, at
            # Each run lasts as long as the requests that hit the bad path take to arrive; drawn
            # per pod and run, so the store's generator (pod names) does not depend on timing.
            run = random.Random(f"{pod['metadata']['name']}/{sim.instance}").uniform(0.5, 1.5)
            sim.next_at = math.inf if kind == "healthy" else at + self.clock.scaled(
                CRASH_AFTER * run)
            return True
        if kind == "crashloop":
            self._crash(pod, sim, at)
            return True
        if kind == "never-ready":
            target = _probe_target(pod, sim.extra["ip"])
            if target:
                self._event(pod, sim, at, "Unhealthy", "Readiness probe failed: HTTP probe "
                            "failed with statuscode: 503", "Warning")
            sim.next_at = at + self.clock.scaled(PROBE_PERIOD) if target and not sim.quiet \
                else math.inf
            return False
        sim.next_at = math.inf
        return False

    def _start(self, pod: dict[str, Any], sim: PodSim, at: float) -> None:
        container, kind = self._container(pod), sim.behavior.kind
        image = pod["spec"]["containers"][0].get("image", "")
        sim.stage, sim.started_at, sim.restart_at = "running", at, math.inf
        # The runtime numbers each new container of the pod: the count of restarts so far.
        sim.instance += 1
        sim.restarts = sim.instance - 1
        self.logs.started(_key(pod), pod["metadata"]["name"], sim.behavior, at)
        self._event(pod, sim, at, "Pulled", f'Container image "{image}" already present on '
                    "machine")
        self._event(pod, sim, at, "Created", f"Created container {container}")
        self._event(pod, sim, at, "Started", f"Started container {container}")
        target = _probe_target(pod, sim.extra["ip"])
        if kind == "crashloop" and target:
            # Probed while the application still starts: nothing listens yet.
            self._event(pod, sim, at, "Unhealthy", f'Readiness probe failed: Get "{target}": '
                        f"dial tcp {target.split('/')[2]}: connect: connection refused",
                        "Warning")
        if kind in ("healthy", "crashloop"):
            sim.next_at = at + self.clock.scaled(READY_DELAY)
        elif kind == "never-ready" and target and not sim.quiet:
            sim.next_at = at + self.clock.scaled(PROBE_PERIOD)
        else:
            sim.next_at = math.inf

    def _crash(self, pod: dict[str, Any], sim: PodSim, at: float) -> None:
        ran = at - (sim.started_at if sim.started_at is not None else at)
        if not sim.backoff or ran >= self.clock.scaled(BACKOFF_RESET):
            sim.backoff = BACKOFF_BASE
        else:
            sim.backoff = min(sim.backoff * 2, BACKOFF_CAP)
        if sim.ready:
            sim.ready_spans.append((sim.ready_since, at))
        sim.ready, sim.ready_since = False, at
        sim.last_terminated = {"containerID": container_id(pod, sim.instance), "exitCode": 1,
                               "reason": "Error",
                               "startedAt": rfc3339(sim.started_at or at),
                               "finishedAt": rfc3339(at)}
        self.logs.stopped(_key(pod), at, CRASH_LINE)
        sim.stage, sim.restart_at = "backoff", at + self.clock.scaled(sim.backoff)
        self._backing_off(pod, sim, at)

    def _backing_off(self, pod: dict[str, Any], sim: PodSim, at: float) -> None:
        self._event(pod, sim, at, "BackOff", "Back-off restarting failed container "
                    f"{self._container(pod)} in pod {pod_ref(pod)}", "Warning")
        resync = math.inf if sim.quiet else at + self.clock.scaled(BACKOFF_RESYNC)
        sim.next_at = min(sim.restart_at, resync)

    def _status(self, pod: dict[str, Any], sim: PodSim) -> dict[str, Any]:
        return pod_status(pod, sim, self._qos(pod, sim))

    @staticmethod
    def _qos(pod: dict[str, Any], sim: PodSim) -> str:
        # Worked out once per spec object: a status update keeps the pod's spec object.
        known = sim.extra.get("qos")
        if known is None or known[0] is not pod["spec"]:
            known = sim.extra["qos"] = (pod["spec"], qos_class(pod["spec"]))
        return known[1]

    def serving(self, pod: dict[str, Any]) -> tuple[bool, Behavior | None]:
        """Whether a pod is ready to serve traffic, and its behaviour."""
        sim = self.sims.get(_key(pod))
        if sim is None:
            return False, None
        return sim.ready and sim.stage == "running", sim.behavior
