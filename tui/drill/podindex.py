"""The active pods of each ReplicaSet, kept up to date on every write to the store.

The ReplicaSet controller asks, every tick, how many pods each ReplicaSet has and how many are
ready, and, when it scales down, which pods go first. Answering from an index the store's writes
maintain makes an idle tick independent of the pod count, and a busy one follow the pods that
change.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tui.drill.store import Store, WatchEvent

PodKey = tuple[str, str]  # (namespace, name)
# Deletion rank within a readiness group: (creationTimestamp, creation order, key).
Rank = tuple[str, int, PodKey]


@dataclass
class OwnedPods:
    """The active (not terminating) pods of one owner, each readiness group in deletion order."""

    unready: list[Rank] = field(default_factory=list)
    ready: list[Rank] = field(default_factory=list)

    def group(self, ready: bool) -> list[Rank]:
        """The sorted ranks of the ready or the not-ready pods."""
        return self.ready if ready else self.unready


@dataclass(frozen=True)
class _Placement:
    owners: tuple[str, ...]
    ready: bool
    rank: Rank


def controller_uids(pod: dict[str, Any]) -> tuple[str, ...]:
    """The uids of the pod's controlling owners (normally one ReplicaSet)."""
    return tuple(ref.get("uid", "") for ref in pod["metadata"].get("ownerReferences", [])
                 if ref.get("controller"))


class PodsByOwner:
    """Active pods by controlling owner, updated by a store listener (under the store lock)."""

    def __init__(self, store: Store, serving: Callable[[dict[str, Any]], bool]) -> None:
        self.store, self.serving = store, serving
        self._owners: dict[str, OwnedPods] = {}
        self._placed: dict[PodKey, _Placement] = {}
        store.add_listener(self._changed)

    def _changed(self, event: WatchEvent) -> None:
        if event.resource != "pods":
            return
        pod = event.entry.obj
        key = (event.namespace, pod["metadata"]["name"])
        self._unplace(key)
        if event.type != "DELETED" and "deletionTimestamp" not in pod["metadata"]:
            owners = controller_uids(pod)
            if owners:
                rank = (pod["metadata"].get("creationTimestamp", ""), event.entry.order, key)
                placement = _Placement(owners, self.serving(pod), rank)
                for uid in owners:
                    owned = self._owners.setdefault(uid, OwnedPods())
                    bisect.insort(owned.group(placement.ready), rank)
                self._placed[key] = placement

    def _unplace(self, key: PodKey) -> None:
        placement = self._placed.pop(key, None)
        if placement is None:
            return
        for uid in placement.owners:
            owned = self._owners[uid]
            group = owned.group(placement.ready)
            del group[bisect.bisect_left(group, placement.rank)]
            if not owned.ready and not owned.unready:
                del self._owners[uid]

    def counts(self, owner_uid: str) -> tuple[int, int]:
        """How many active pods the owner has, and how many of them are ready."""
        owned = self._owners.get(owner_uid)
        if owned is None:
            return 0, 0
        return len(owned.unready) + len(owned.ready), len(owned.ready)

    def deletion_order(self, owner_uid: str, count: int) -> list[dict[str, Any]]:
        """The `count` active pods the ReplicaSet controller deletes first, newest first.

        Not-ready pods go before ready ones, older before newer (ties in creation order); the
        chosen ones are then deleted newest first.
        """
        owned = self._owners.get(owner_uid)
        if owned is None or count <= 0:
            return []
        chosen = [*owned.unready[:count], *owned.ready[:max(count - len(owned.unready), 0)]]
        chosen.sort(key=lambda rank: rank[0], reverse=True)
        return [self.store.require("pods", *rank[2]).obj for rank in chosen]
