"""The past a drill starts with: the release's rolling update and the traffic its pods served.

Both follow the replayed lives of the starting pods, so the events of the rollout, the pods'
ages and restarts, and the metrics' history tell the same story.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from tui.drill.clock import rfc3339
from tui.drill.events import record_event
from tui.drill.podsim import Behavior, PodSim
from tui.drill.store import Store

Period = tuple[float, float, dict[str, list[Behavior]]]


def record_release(store: Store, deployment: dict[str, Any], old_rs: dict[str, Any],
                   new_rs: dict[str, Any], start: float, step: float) -> None:
    """A release's rolling update that finished before the drill started: the deployment
    controller's events, and the deployment's conditions stamped when they last changed."""
    name = new_rs["metadata"]["name"]
    done = release_events(store, deployment, old_rs["metadata"]["name"], name, start, step)
    meta = deployment["metadata"]
    current = store.require("deployments", meta["namespace"], meta["name"]).obj
    available = {"type": "Available", "status": "True", "lastUpdateTime": rfc3339(start),
                 "lastTransitionTime": rfc3339(start), "reason": "MinimumReplicasAvailable",
                 "message": "Deployment has minimum availability."}
    progressing = {"type": "Progressing", "status": "True", "lastUpdateTime": rfc3339(done),
                   "lastTransitionTime": rfc3339(start), "reason": "NewReplicaSetAvailable",
                   "message": f'ReplicaSet "{name}" has successfully progressed.'}
    store.replace("deployments", {**current, "status": {
        **current.get("status", {}), "conditions": [available, progressing]}})


def release_events(store: Store, deployment: dict[str, Any], old_rs: str, new_rs: str,
                   start: float, step: float) -> float:
    """Record the deployment controller's events of the release's rolling update (one surge
    batch a step, the old ReplicaSet scaled down as each batch turns ready); when it ended."""
    replicas = deployment["spec"].get("replicas", 1)
    batch = max(math.ceil(replicas / 4), 1)  # maxSurge 25 %, as the starting pods were made
    new, old, at = 0, replicas, start
    while new < replicas:
        grow = min(batch, replicas - new)
        record_event(store, deployment, "apps/v1", "Deployment", "ScalingReplicaSet",
                     f"Scaled up replica set {new_rs} to {new + grow} from {new}", at=at)
        new, at = new + grow, at + step
        shrink = min(grow, old)
        if shrink:
            record_event(store, deployment, "apps/v1", "Deployment", "ScalingReplicaSet",
                         f"Scaled down replica set {old_rs} to {old - shrink} from {old}", at=at)
            old -= shrink
    return at


@dataclass(frozen=True)
class ServedSpan:
    """A stretch of time one endpoint served with one behaviour."""

    start: float
    end: float
    behavior: Behavior


def served_spans(sim: PodSim, behavior: Behavior, stand_in: Behavior | None, since: float,
                 now: float) -> list[ServedSpan]:
    """When a starting pod served (as `behavior`: its own, flags applied), and before it turned
    ready the pod it replaced (`stand_in`, the previous revision; None: one like it) from
    `since`."""
    spans = [ServedSpan(a, b, behavior) for a, b in sim.ready_spans]
    if sim.ready and sim.stage == "running":
        spans.append(ServedSpan(sim.ready_since, now, behavior))
    first = spans[0].start if spans else now
    if first > since:
        spans.insert(0, ServedSpan(since, first, stand_in or behavior))
    return [span for span in spans if span.end > since]


def served_periods(spans: dict[str, list[ServedSpan]], since: float, now: float
                   ) -> list[Period]:
    """Traffic history periods (whole seconds from `since`) with each service's endpoints."""
    def snap(t: float) -> float:
        return since + round(min(max(t, since), now) - since)

    changes: dict[str, list[tuple[float, int, Behavior]]] = {}
    bounds = {since, snap(now)}
    for service, found in spans.items():
        marks = changes.setdefault(service, [])
        for span in found:
            start, end = snap(span.start), snap(span.end)
            if end > start:
                marks += [(start, 1, span.behavior), (end, -1, span.behavior)]
                bounds.update((start, end))
        marks.sort(key=lambda mark: (mark[0], mark[1]))
    times = sorted(bounds)
    serving: dict[str, Counter[Behavior]] = {service: Counter() for service in spans}
    taken = dict.fromkeys(spans, 0)
    periods: list[Period] = []
    for start, end in pairwise(times):
        behaviors: dict[str, list[Behavior]] = {}
        for service, marks in changes.items():
            counts = serving[service]
            while taken[service] < len(marks) and marks[taken[service]][0] <= start:
                _, delta, behavior = marks[taken[service]]
                counts[behavior] += delta
                taken[service] += 1
            behaviors[service] = [b for b, n in counts.items() for _ in range(n) if n > 0]
        periods.append((start, end, behaviors))
    return periods
