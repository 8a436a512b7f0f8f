"""The endpoints controllers: an Endpoints and an EndpointSlice per Service, from its pods.

As on a real cluster, every Service with a selector gets an `Endpoints` object (ready pods under
`addresses`, the others under `notReadyAddresses`, terminating pods left out) and an
`EndpointSlice` (every pod with an IP, with `ready`/`serving`/`terminating` conditions), kept
up to date as pods come, go and change readiness. Pod changes are folded in as they are written
(a store listener, costing the Services of the pod's namespace); `sync()` writes the objects of
the Services that changed, so an idle drill costs nothing however many pods it has.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from tui.drill.selectors import LabelSelector, SelectorError, selector_from_spec
from tui.drill.store import Store, WatchEvent

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
MANAGED_BY = "endpointslice-controller.k8s.io"
SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
MAX_PER_SLICE = 100  # the endpointslice controller's --max-endpoints-per-slice default
MAX_ENDPOINTS = 1000  # Endpoints beyond this are truncated and annotated over-capacity
OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity"
# Changes to one large Service (over MAX_PER_SLICE pods) within this many seconds are written
# together (the controller's work queue coalesces them): a rolling update of thousands of pods
# costs a write a second per Service, not one per tick. Small Services are written at once.
BATCH_SECONDS = 1.0

# (ip, node, ready, terminating, uid, named container ports) of one pod behind a Service.
Member = tuple[str, str, bool, bool, str, tuple[tuple[str, int, str], ...]]


@dataclass
class _Service:
    """What the controller keeps of one Service with a selector."""

    namespace: str
    name: str
    obj: dict[str, Any]
    selector: LabelSelector
    members: dict[str, Member] = field(default_factory=dict)
    # Pods are placed in slices of up to MAX_PER_SLICE and stay there: a change rewrites one.
    slices: dict[str, set[str]] = field(default_factory=dict)
    slot: dict[str, str] = field(default_factory=dict)
    dirty_slices: set[str] = field(default_factory=set)
    roomy: dict[str, None] = field(default_factory=dict)  # slices with room, in creation order


def _pod_ready(status: dict[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in status.get("conditions") or [])


def _member(pod: dict[str, Any]) -> Member | None:
    """The endpoint a pod makes, or None while it has no IP."""
    status, spec, meta = pod.get("status") or {}, pod.get("spec") or {}, pod["metadata"]
    ip = status.get("podIP")
    if not ip or status.get("phase") in ("Succeeded", "Failed"):
        return None
    named = tuple((p["name"], p["containerPort"], p.get("protocol", "TCP"))
                  for c in spec.get("containers") or [] for p in c.get("ports") or []
                  if p.get("name") and isinstance(p.get("containerPort"), int))
    return (ip, spec.get("nodeName", ""), _pod_ready(status), "deletionTimestamp" in meta,
            meta.get("uid", ""), named)


def _ports(service: dict[str, Any], members: list[Member]) -> list[dict[str, Any]]:
    """The Service's ports as endpoint ports (a named targetPort resolved on the pods)."""
    ports = []
    for port in (service.get("spec") or {}).get("ports") or []:
        target = port.get("targetPort", port.get("port"))
        protocol = port.get("protocol", "TCP")
        if isinstance(target, str) and not target.isdigit():
            found = [n for m in members for name, n, _ in m[5] if name == target]
            if not found:
                continue
            target = found[0]
        entry: dict[str, Any] = {"port": int(target), "protocol": protocol}
        if port.get("name"):
            entry = {"name": port["name"], **entry}
        ports.append(entry)
    return ports


class EndpointsController:
    """Maintains `endpoints` and `endpointslices` objects for every Service with a selector."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._services: dict[tuple[str, str], _Service] = {}
        self._dirty: set[tuple[str, str]] = set()
        self._gone: set[tuple[str, str]] = set()
        self._written: dict[tuple[str, str], float] = {}  # when each was last written
        store.add_listener(self._changed)

    # ---- keeping up (under the store lock, on every write) ---------------------------------
    def _changed(self, event: WatchEvent) -> None:
        if event.resource == "pods":
            pod = event.entry.obj
            for (namespace, _), service in self._services.items():
                if namespace == event.namespace:
                    self._place(service, pod, gone=event.type == "DELETED")
        elif event.resource == "services":
            obj = event.entry.obj
            key = (event.namespace, obj["metadata"]["name"])
            if event.type == "DELETED":
                self._services.pop(key, None)
                self._gone.add(key)
                self._dirty.discard(key)
            else:
                self._track(key, obj)

    def _track(self, key: tuple[str, str], obj: dict[str, Any]) -> None:
        known = self._services.get(key)
        selector_spec = (obj.get("spec") or {}).get("selector") or {}
        if known is not None and (known.obj.get("spec") or {}).get("selector") == selector_spec:
            known.obj = obj  # ports or labels may have changed: rewrite, no need to re-place
            known.dirty_slices.update(known.slices)
            self._dirty.add(key)
            return
        if not selector_spec:
            # Without a selector the endpoints are managed by hand, not by the controller.
            self._services.pop(key, None)
            return
        try:
            selector = selector_from_spec({"matchLabels": selector_spec})
        except SelectorError:
            selector = LabelSelector(nothing=True)
        service = self._services[key] = _Service(key[0], key[1], obj, selector)
        if known is not None:  # a new selector: the old slices are refilled or deleted
            service.slices = {name: set() for name in known.slices}
            service.roomy = dict.fromkeys(known.slices)
            service.dirty_slices = set(known.slices)
        for pod in self.store.values("pods", key[0]):
            self._place(service, pod)
        self._gone.discard(key)
        self._dirty.add(key)

    def _place(self, service: _Service, pod: dict[str, Any], gone: bool = False) -> None:
        name = pod["metadata"]["name"]
        member = None
        if not gone and service.selector.matches(pod["metadata"].get("labels")):
            member = _member(pod)
        if service.members.get(name) == member:
            return
        if member is None:
            del service.members[name]
            slice_name = service.slot.pop(name)
            service.slices[slice_name].discard(name)
            service.roomy[slice_name] = None
        else:
            service.members[name] = member
            slice_name = service.slot.get(name) or self._room(service)
            service.slot[name] = slice_name
            service.slices[slice_name].add(name)
            if len(service.slices[slice_name]) >= MAX_PER_SLICE:
                service.roomy.pop(slice_name, None)
        service.dirty_slices.add(slice_name)
        self._dirty.add((service.namespace, service.name))

    def _room(self, service: _Service) -> str:
        """A slice with room for one more endpoint (a new one when all are full)."""
        found = next(iter(service.roomy), None)
        if found is not None:
            return found
        digits = self.store.new_uid().replace("-", "")
        suffix = "".join(SUFFIX_ALPHABET[int(d, 16) % len(SUFFIX_ALPHABET)] for d in digits[:5])
        name = f"{service.name}-{suffix}"
        service.slices[name] = set()
        service.roomy[name] = None
        return name

    # ---- writing ---------------------------------------------------------------------------
    def sync(self, now: float | None = None) -> None:
        """Write the Endpoints and EndpointSlices of the Services whose pods changed."""
        now = time.monotonic() if now is None else now
        with self.store.lock:
            dirty, gone = self._dirty, self._gone
            self._dirty, self._gone = set(), set()
            for key in sorted(gone):
                self._delete(*key)
                self._written.pop(key, None)
            for key in sorted(dirty):
                service = self._services.get(key)
                if service is None:
                    continue
                if len(service.members) > MAX_PER_SLICE and \
                        now - self._written.get(key, -BATCH_SECONDS) < BATCH_SECONDS:
                    self._dirty.add(key)  # written a moment ago: wait for the batch
                    continue
                self._written[key] = now
                self._write(service)

    def _delete(self, namespace: str, name: str) -> None:
        if self.store.get("endpoints", namespace, name) is not None:
            self.store.delete("endpoints", namespace, name)
        for slice_ in self.store.values("endpointslices", namespace):
            if (slice_["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL) == name:
                self.store.delete("endpointslices", namespace, slice_["metadata"]["name"])

    def _write(self, service: _Service) -> None:
        self._save("endpoints", self._endpoints(service))
        if not service.slices:
            service.dirty_slices.add(self._room(service))  # an empty Service has one slice
        for name in sorted(service.dirty_slices):
            members = service.slices.get(name)
            if members is None:
                continue
            if not members and len(service.slices) > 1:
                del service.slices[name]
                service.roomy.pop(name, None)
                if self.store.get("endpointslices", service.namespace, name) is not None:
                    self.store.delete("endpointslices", service.namespace, name)
                continue
            self._save("endpointslices", self._slice(service, name, sorted(members)))
        service.dirty_slices.clear()

    def _save(self, resource: str, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        if self.store.get(resource, meta["namespace"], meta["name"]) is None:
            self.store.create(resource, obj)
        else:
            self.store.replace(resource, obj)  # unchanged: no new resourceVersion

    @staticmethod
    def _target(service: _Service, name: str, member: Member) -> dict[str, Any]:
        return {"kind": "Pod", "namespace": service.namespace, "name": name, "uid": member[4]}

    def _endpoints(self, service: _Service) -> dict[str, Any]:
        labels = dict(service.obj["metadata"].get("labels") or {})
        # Created as the Service is (the controller reacts at once), not when first synced.
        meta: dict[str, Any] = {"name": service.name, "namespace": service.namespace,
                                "creationTimestamp": service.obj["metadata"].get(
                                    "creationTimestamp")}
        if labels:
            meta["labels"] = labels
        obj: dict[str, Any] = {"apiVersion": "v1", "kind": "Endpoints", "metadata": meta}
        ready, not_ready = [], []
        live = [(n, m) for n, m in service.members.items() if not m[3]]  # terminating: gone
        if len(live) > MAX_ENDPOINTS:
            live = sorted(live)[:MAX_ENDPOINTS]
            meta["annotations"] = {OVER_CAPACITY: "truncated"}
        for name, member in sorted(live, key=lambda item: (item[1][0], item[0])):
            address = {"ip": member[0], "nodeName": member[1],
                       "targetRef": self._target(service, name, member)}
            (ready if member[2] else not_ready).append(address)
        ports = _ports(service.obj, [m for _, m in live])
        if (ready or not_ready) and ports:
            subset: dict[str, Any] = {}
            if ready:
                subset["addresses"] = ready
            if not_ready:
                subset["notReadyAddresses"] = not_ready
            subset["ports"] = ports
            obj["subsets"] = [subset]
        return obj

    def _slice(self, service: _Service, name: str, pods: list[str]) -> dict[str, Any]:
        svc_meta = service.obj["metadata"]
        labels = {**(svc_meta.get("labels") or {}), SERVICE_NAME_LABEL: service.name,
                  MANAGED_BY_LABEL: MANAGED_BY}
        endpoints = []
        for pod_name in pods:
            member = service.members[pod_name]
            endpoints.append({
                "addresses": [member[0]],
                "conditions": {"ready": member[2] and not member[3], "serving": member[2],
                               "terminating": member[3]},
                "nodeName": member[1],
                "targetRef": self._target(service, pod_name, member)})
        return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"name": name, "generateName": f"{service.name}-",
                             "namespace": service.namespace, "labels": labels,
                             "creationTimestamp": svc_meta.get("creationTimestamp"),
                             "ownerReferences": [{"apiVersion": "v1", "kind": "Service",
                                                  "name": service.name,
                                                  "uid": svc_meta.get("uid", ""),
                                                  "controller": True,
                                                  "blockOwnerDeletion": True}]},
                "addressType": "IPv4", "endpoints": endpoints,
                "ports": _ports(service.obj, [service.members[p] for p in pods])}
