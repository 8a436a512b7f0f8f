"""The active pods of each ReplicaSet, kept up to date on every write to the store.

The ReplicaSet controller asks, every tick, how many pods each ReplicaSet has and how many are
ready, and, when it scales down, which pods go first. Answering from an index the store's writes
maintain makes an idle tick independent of the pod count, and a busy one follow the pods that
change.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from tui.drill.store import Store, WatchEvent

PodKey = tuple[str, str]  # (namespace, name)
# Where a pod stands in the order the ReplicaSet controller deletes: (creationTimestamp,
# creation order), within its readiness group.
Rank = tuple[str, int]
K = TypeVar("K", bound=Hashable)
R = TypeVar("R")


class RankedSet(Generic[K, R]):
    """Members with a rank each; the lowest ranked found in O(log n) whatever comes and goes."""

    def __init__(self) -> None:
        self.members: dict[K, R] = {}
        # (rank, key) of members and of former members (stale: skipped when met on top).
        self._heap: list[tuple[R, K]] = []

    def __len__(self) -> int:
        return len(self.members)

    def add(self, key: K, rank: R) -> None:
        """Add a member (or move it to a new rank)."""
        self.members[key] = rank
        heapq.heappush(self._heap, (rank, key))
        if len(self._heap) > 2 * len(self.members) + 16:
            # Members that keep leaving and coming back (crash loops) must not grow it.
            self._heap = [(r, k) for k, r in self.members.items()]
            heapq.heapify(self._heap)

    def discard(self, key: K) -> None:
        """Remove a member if present."""
        self.members.pop(key, None)

    def lowest(self, count: int) -> list[tuple[R, K]]:
        """The `count` lowest ranked members, lowest first."""
        taken: list[tuple[R, K]] = []
        seen: set[K] = set()
        while self._heap and len(taken) < count:
            rank, key = heapq.heappop(self._heap)
            if self.members.get(key) == rank and key not in seen:
                taken.append((rank, key))
                seen.add(key)
        for item in taken:
            heapq.heappush(self._heap, item)
        return taken


@dataclass
class OwnedPods:
    """The active (not terminating) pods of one owner, by readiness."""

    unready: RankedSet[PodKey, Rank] = field(default_factory=RankedSet)
    ready: RankedSet[PodKey, Rank] = field(default_factory=RankedSet)

    def group(self, ready: bool) -> RankedSet[PodKey, Rank]:
        """The ready or the not-ready pods."""
        return self.ready if ready else self.unready


@dataclass(frozen=True)
class _Placement:
    owners: tuple[str, ...]
    ready: bool


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
                placement = _Placement(owners, self.serving(pod))
                rank = (pod["metadata"].get("creationTimestamp", ""), event.entry.order)
                for uid in owners:
                    self._owners.setdefault(uid, OwnedPods()).group(placement.ready).add(key, rank)
                self._placed[key] = placement

    def _unplace(self, key: PodKey) -> None:
        placement = self._placed.pop(key, None)
        if placement is None:
            return
        for uid in placement.owners:
            owned = self._owners[uid]
            owned.group(placement.ready).discard(key)
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
        chosen = owned.unready.lowest(count)
        chosen += owned.ready.lowest(count - len(chosen))
        chosen.sort(key=lambda item: item[0][0], reverse=True)
        return [self.store.require("pods", *key).obj for _, key in chosen]
