"""A simulated pod's status as the kubelet writes it: container states, conditions, QoS class."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from tui.drill.clock import rfc3339

if TYPE_CHECKING:
    from tui.drill.podsim import PodSim


def image_id(image: str) -> str:
    """The runtime's image reference: `name@sha256:…`."""
    digest = hashlib.sha256(image.encode()).hexdigest()
    return f"{image.split(':')[0]}@sha256:{digest}"


def container_id(pod: dict[str, Any], instance: int) -> str:
    """The runtime's ID of a pod's `instance`-th container (one per start)."""
    seed = f"{pod['metadata']['name']}{instance}".encode()
    return "containerd://" + hashlib.sha256(seed).hexdigest()


def pod_ref(pod: dict[str, Any]) -> str:
    """The kubelet's format.Pod: `name_namespace(uid)`, as its messages name a pod."""
    meta = pod["metadata"]
    return f"{meta['name']}_{meta.get('namespace', '')}({meta.get('uid', '')})"


def go_duration(seconds: float) -> str:
    """A whole-second duration as Go prints it (10s, 1m20s, 5m0s), as the back-off message."""
    whole = int(seconds)
    minutes, rest = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes}m{rest}s"
    return f"{minutes}m{rest}s" if minutes else f"{rest}s"


def qos_class(spec: dict[str, Any]) -> str:
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


def _state(pod: dict[str, Any], sim: PodSim, container: str) -> dict[str, Any]:
    if sim.stage == "running" or (sim.stage == "terminating" and sim.started_at is not None):
        return {"running": {"startedAt": rfc3339(sim.started_at or sim.created)}}
    if sim.stage == "backoff":
        return {"waiting": {"reason": "CrashLoopBackOff", "message":
                            f"back-off {go_duration(sim.backoff)} restarting failed "
                            f"container={container} pod={pod_ref(pod)}"}}
    if sim.stage == "pull-error":
        return {"waiting": {"reason": "ErrImagePull"}}
    if sim.stage == "pull-backoff":
        return {"waiting": {"reason": "ImagePullBackOff"}}
    return {"waiting": {"reason": "ContainerCreating"}}


def pod_status(pod: dict[str, Any], sim: PodSim, qos: str) -> dict[str, Any]:
    """The status of a pod whose simulation is `sim`."""
    created = rfc3339(sim.created)
    statuses = []
    for container in pod["spec"]["containers"]:
        image = container.get("image", "")
        status: dict[str, Any] = {
            "name": container["name"], "image": image,
            "imageID": image_id(image) if sim.started_at else "",
            "ready": sim.ready, "restartCount": sim.restarts,
            "started": sim.stage == "running", "state": _state(pod, sim, container["name"]),
        }
        if sim.instance:
            status["containerID"] = container_id(pod, sim.instance)
        if sim.last_terminated:
            status["lastState"] = {"terminated": sim.last_terminated}
        statuses.append(status)
    ready = "True" if sim.ready else "False"
    # Readiness changes when the kubelet sees it change, not whenever the status is written.
    changed = rfc3339(sim.ready_since or sim.created)
    conditions = [
        {"type": "PodReadyToStartContainers", "status": "True", "lastProbeTime": None,
         "lastTransitionTime": created},
        {"type": "Initialized", "status": "True", "lastProbeTime": None,
         "lastTransitionTime": created},
        {"type": "Ready", "status": ready, "lastProbeTime": None, "lastTransitionTime": changed},
        {"type": "ContainersReady", "status": ready, "lastProbeTime": None,
         "lastTransitionTime": changed},
        {"type": "PodScheduled", "status": "True", "lastProbeTime": None,
         "lastTransitionTime": created},
    ]
    if not sim.ready:
        for cond in conditions[2:4]:
            cond["reason"] = "ContainersNotReady"
            cond["message"] = f"containers with unready status: [{statuses[0]['name']}]"
    return {"phase": "Running" if sim.started_at is not None else "Pending",
            "conditions": conditions, "hostIP": "172.18.0.2", "hostIPs": [{"ip": "172.18.0.2"}],
            "podIP": sim.extra["ip"], "podIPs": [{"ip": sim.extra["ip"]}], "startTime": created,
            "containerStatuses": statuses, "qosClass": qos}
