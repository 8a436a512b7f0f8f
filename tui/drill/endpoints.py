"""The ready pods behind each simulated Service, kept up to date on every write to the store.

Traffic needs, once a second, how many ready pods behave each way behind a Service; health,
version and feature answers need the same. Pods are grouped by what decides their traffic (their
behaviour and the pod-level inputs of feature flags), so a tick costs the groups, not the pods.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from tui.drill.podindex import PodKey, RankedSet
from tui.drill.podsim import Behavior
from tui.drill.selectors import LabelSelector, SelectorError, selector_from_spec
from tui.drill.store import Store, WatchEvent

Serving = Callable[[dict[str, Any]], tuple[bool, Behavior | None]]
GroupKey = tuple[Behavior, Hashable]


@dataclass
class EndpointGroup:
    """Ready pods of one Service that behave alike, ranked by creation order."""

    behavior: Behavior
    members: RankedSet[PodKey, int] = field(default_factory=RankedSet)


@dataclass
class ServiceEndpoints:
    """One Service's selector and its ready pods, grouped."""

    name: str
    namespace: str
    spec_selector: dict[str, Any] = field(default_factory=dict)  # as the Service has it
    selector: LabelSelector = field(default_factory=lambda: LabelSelector(nothing=True))
    groups: dict[GroupKey, EndpointGroup] = field(default_factory=dict)
    placed: dict[PodKey, GroupKey] = field(default_factory=dict)


class Endpoints:
    """Ready endpoints of the simulated Services, updated by a store listener."""

    def __init__(self, store: Store, serving: Serving,
                 inputs: Callable[[dict[str, Any]], Hashable]) -> None:
        self.store, self.serving, self.inputs = store, serving, inputs
        self._services: dict[str, ServiceEndpoints] = {}
        store.add_listener(self._changed)

    def add_service(self, name: str, namespace: str) -> None:
        """Follow the endpoints of a Service (which may not exist yet)."""
        with self.store.lock:
            self._services[name] = ServiceEndpoints(name, namespace)
            self._rebuild(self._services[name])

    # ---- keeping up ------------------------------------------------------------------------
    def _changed(self, event: WatchEvent) -> None:
        if event.resource == "pods":
            for service in self._services.values():
                if service.namespace == event.namespace:
                    self._place(service, event.entry.obj, event.entry.order,
                                gone=event.type == "DELETED")
        elif event.resource == "services":
            service = self._services.get(event.entry.obj["metadata"]["name"])
            if service is not None and service.namespace == event.namespace \
                    and self._spec_selector(service) != service.spec_selector:
                self._rebuild(service)

    def _spec_selector(self, service: ServiceEndpoints) -> dict[str, Any]:
        entry = self.store.get("services", service.namespace, service.name)
        return dict(entry.obj["spec"].get("selector") or {}) if entry is not None else {}

    def _rebuild(self, service: ServiceEndpoints) -> None:
        # A new selector (a blue-green switch) or a Service come or gone: rare, so a full pass.
        service.spec_selector = self._spec_selector(service)
        try:
            # A Service without a selector has no endpoints (they would be managed by hand).
            service.selector = (selector_from_spec({"matchLabels": service.spec_selector})
                                if service.spec_selector else LabelSelector(nothing=True))
        except SelectorError:
            service.selector = LabelSelector(nothing=True)
        service.groups.clear()
        service.placed.clear()
        for entry in self.store.entries("pods", service.namespace):
            self._place(service, entry.obj, entry.order)

    def _place(self, service: ServiceEndpoints, pod: dict[str, Any], order: int,
               gone: bool = False) -> None:
        meta = pod["metadata"]
        key = (service.namespace, meta["name"])
        before = service.placed.pop(key, None)
        if before is not None:
            group = service.groups[before]
            group.members.discard(key)
            if not group.members:
                del service.groups[before]
        if gone or "deletionTimestamp" in meta or not service.selector.matches(meta.get("labels")):
            return
        ready, behavior = self.serving(pod)
        if not ready or behavior is None:
            return
        group_key = (behavior, self.inputs(pod))
        group = service.groups.get(group_key)
        if group is None:
            group = service.groups[group_key] = EndpointGroup(behavior)
        group.members.add(key, order)
        service.placed[key] = group_key

    # ---- answers -----------------------------------------------------------------------------
    def groups(self, service: str) -> list[tuple[dict[str, Any], Behavior, int]]:
        """(first pod, behaviour, how many pods) of each group, the earliest created first.

        Every pod of a group gets the same feature-flag adjustment, so one pod stands for all.
        """
        found = []
        for group in self._services[service].groups.values():
            [(order, key)] = group.members.lowest(1)
            found.append((order, self.store.require("pods", *key).obj, group.behavior,
                          len(group.members)))
        found.sort(key=lambda item: item[0])
        return [(pod, behavior, count) for _, pod, behavior, count in found]

    def pods(self, service: str) -> list[tuple[dict[str, Any], Behavior]]:
        """Every ready pod with its behaviour, in creation order (costs every pod)."""
        found = []
        for group in self._services[service].groups.values():
            for key, order in group.members.members.items():
                found.append((order, self.store.require("pods", *key).obj, group.behavior))
        found.sort(key=lambda item: item[0])
        return [(pod, behavior) for _, pod, behavior in found]
