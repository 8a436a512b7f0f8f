"""The drill cluster's object store: resourceVersions, generations, a watch log, selectors.

Stored objects are never mutated in place: every write stores a new dict (and its JSON bytes,
so large lists are served without re-encoding), which lets readers use them without the lock.
"""

from __future__ import annotations

import bisect
import json
import random
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tui.drill.clock import DrillClock, rfc3339
from tui.drill.resources import RESOURCES

WATCH_LOG_SIZE = 200_000
# The newest events of the watch log keep their objects; older superseded versions keep only
# their bytes. Held as dicts, the 200,000 old pod versions a 50,000-pod rollout leaves took
# ~300 MB and gave every full collection of the cyclic GC ~700,000 more objects to walk.
DECODED_EVENTS = 20_000


class StoreError(Exception):
    """A request the store refuses; carries the HTTP code and Kubernetes reason."""

    def __init__(self, code: int, reason: str, message: str, kind: str = "",
                 name: str = "") -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.kind, self.name = code, reason, message, kind, name


class Entry:
    """A stored object and its JSON encoding.

    A version superseded long ago keeps only its bytes (see `Store._shed`); `obj` then decodes
    them afresh.
    """

    __slots__ = ("_obj", "order", "raw")

    def __init__(self, obj: dict[str, Any], raw: bytes, order: int = 0) -> None:
        self._obj: dict[str, Any] | None = obj
        self.raw = raw
        self.order = order  # when the object was created: its place in the order `values` returns

    @property
    def obj(self) -> dict[str, Any]:
        """The object (read-only by convention)."""
        obj = self._obj
        return obj if obj is not None else json.loads(self.raw)

    def shed(self) -> None:
        """Keep only the bytes."""
        self._obj = None


@dataclass(frozen=True)
class WatchEvent:
    """One change, as a watcher will see it."""

    rv: int
    type: str
    resource: str
    namespace: str
    entry: Entry
    prev: Entry | None = None  # the version a MODIFIED replaced (selector enter/leave)


def encode(obj: Any) -> bytes:
    """Compact JSON, as the API server sends it."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def _spec_view(obj: dict[str, Any]) -> Any:
    # Everything but metadata and status counts as "spec" for generation bumps.
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


class Store:
    """All objects of the drill cluster, with a lock, a condition for watchers and a log."""

    def __init__(self, clock: DrillClock, seed: int = 0) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.rng = random.Random(seed)
        self._objects: dict[str, dict[tuple[str, str], Entry]] = {r: {} for r in RESOURCES}
        # Keys in list order, sorted once and then kept in order as objects come and go: paging
        # through a large list must cost each page, not a sort of the whole resource per page.
        self._order: dict[str, list[tuple[str, str]]] = {}
        self._rv = 1
        self._created = 0
        self._log: deque[WatchEvent] = deque(maxlen=WATCH_LOG_SIZE)
        self._decoded: deque[WatchEvent] = deque()  # the newest DECODED_EVENTS of the log
        self._listeners: list[Callable[[WatchEvent], None]] = []
        # (involved uid, reason, message) -> (namespace, event name), to bump repeated events.
        self.event_index: dict[tuple[str, str, str], tuple[str, str]] = {}

    # ---- reading -------------------------------------------------------------------------
    @property
    def resource_version(self) -> int:
        """The newest resourceVersion handed out."""
        return self._rv

    def get(self, resource: str, namespace: str, name: str) -> Entry | None:
        """The stored entry or None."""
        return self._objects[resource].get((namespace, name))

    def require(self, resource: str, namespace: str, name: str) -> Entry:
        """The stored entry, or a 404 naming it."""
        entry = self.get(resource, namespace, name)
        if entry is None:
            info = RESOURCES[resource]
            res = f"{resource}.{info.group}" if info.group else resource
            raise StoreError(404, "NotFound", f'{res} "{name}" not found', resource, name)
        return entry

    def entries(self, resource: str, namespace: str | None = None) -> list[Entry]:
        """Entries of a resource, in one namespace or all, sorted by namespace and name."""
        with self.lock:
            items = self._objects[resource].items()
            chosen = [e for (ns, _), e in items if namespace is None or ns == namespace]
        chosen.sort(key=lambda e: (e.obj["metadata"].get("namespace", ""),
                                   e.obj["metadata"]["name"]))
        return chosen

    def page(self, resource: str, namespace: str | None, after: tuple[str, str] | None,
             match: Callable[[dict[str, Any]], bool], limit: int
             ) -> tuple[list[Entry], bool, int]:
        """Up to `limit` (0: all) matching entries after the key `after`, in list order.

        Returns them, whether more matching entries follow, and how many entries of the
        namespace (matching or not) follow the page.
        """
        with self.lock:
            keys = self._order.get(resource)
            if keys is None:
                keys = self._order[resource] = sorted(self._objects[resource])
            objects = self._objects[resource]
            end = len(keys) if namespace is None else bisect.bisect_left(
                keys, (namespace + "\0", ""))
            if after is not None:
                start = bisect.bisect_right(keys, after)
            else:
                start = 0 if namespace is None else bisect.bisect_left(keys, (namespace, ""))
            found: list[Entry] = []
            for index in range(start, end):
                entry = objects[keys[index]]
                if match(entry.obj):
                    if limit and len(found) == limit:
                        return found, True, end - index
                    found.append(entry)
            return found, False, 0

    def values(self, resource: str, namespace: str | None = None) -> list[dict[str, Any]]:
        """The objects in no particular order (cheaper than `objects` for large sets)."""
        with self.lock:
            if namespace is None:
                return [e.obj for e in self._objects[resource].values()]
            return [e.obj for (ns, _), e in self._objects[resource].items() if ns == namespace]

    def objects(self, resource: str, namespace: str | None = None) -> Iterator[dict[str, Any]]:
        """The objects (read-only by convention)."""
        return (e.obj for e in self.entries(resource, namespace))

    # ---- writing -------------------------------------------------------------------------
    def _next_rv(self) -> int:
        self._rv += 1
        return self._rv

    def new_uid(self) -> str:
        """A deterministic (seeded) UID."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _record(self, etype: str, resource: str, namespace: str, entry: Entry, rv: int,
                prev: Entry | None = None) -> None:
        event = WatchEvent(rv, etype, resource, namespace, entry, prev)
        self._log.append(event)
        self._decoded.append(event)
        if len(self._decoded) > DECODED_EVENTS:
            self._shed(self._decoded.popleft())
        for listener in self._listeners:
            listener(event)
        self.changed.notify_all()

    def _shed(self, event: WatchEvent) -> None:
        # Watchers near the head still find objects decoded; one far behind decodes old bytes.
        if event.prev is not None:
            event.prev.shed()  # the version this event replaced is never current again
        entry = event.entry
        if entry._obj is not None:
            key = (event.namespace, entry._obj["metadata"].get("name", ""))
            if self._objects[event.resource].get(key) is not entry:
                entry.shed()

    def create(self, resource: str, obj: dict[str, Any], *, dry_run: bool = False
               ) -> dict[str, Any]:
        """Store a new object; 409 if it exists. Sets uid, timestamps, rv, generation."""
        meta = obj.setdefault("metadata", {})
        namespace = meta.get("namespace", "") if RESOURCES[resource].namespaced else ""
        name = meta.get("name", "")
        with self.lock:
            if (namespace, name) in self._objects[resource]:
                raise StoreError(409, "AlreadyExists",
                                 f'{resource} "{name}" already exists', resource, name)
            meta.setdefault("uid", self.new_uid())
            meta.setdefault("creationTimestamp", rfc3339(self.clock.now()))
            if resource in ("deployments", "replicasets"):
                meta["generation"] = 1
            if dry_run:
                meta["resourceVersion"] = str(self._rv)
                return obj
            rv = self._next_rv()
            meta["resourceVersion"] = str(rv)
            self._created += 1
            entry = Entry(obj, encode(obj), self._created)
            self._objects[resource][(namespace, name)] = entry
            keys = self._order.get(resource)
            if keys is not None:  # kept sorted: a list during a rollout must not sort them all
                bisect.insort(keys, (namespace, name))
            self._record("ADDED", resource, namespace, entry, rv)
            return obj

    def replace(self, resource: str, obj: dict[str, Any], *, expect_rv: str | None = None,
                dry_run: bool = False) -> dict[str, Any]:
        """Store a new version of an existing object.

        A change to anything outside metadata/status bumps generation; no change at all keeps
        the resourceVersion (so kubectl can say "(no change)"); a stale expect_rv is a 409.
        """
        meta = obj["metadata"]
        namespace = meta.get("namespace", "") if RESOURCES[resource].namespaced else ""
        with self.lock:
            current = self.require(resource, namespace, meta["name"])
            cur_meta = current.obj["metadata"]
            if expect_rv and expect_rv != cur_meta["resourceVersion"]:
                raise StoreError(
                    409, "Conflict",
                    f'Operation cannot be fulfilled on {resource} "{meta["name"]}": the object '
                    "has been modified; please apply your changes to the latest version and try "
                    "again", resource, meta["name"])
            for key in ("uid", "creationTimestamp"):
                meta[key] = cur_meta[key]
            if "generation" in cur_meta:
                meta["generation"] = cur_meta["generation"]
            meta["resourceVersion"] = cur_meta["resourceVersion"]
            if obj == current.obj:
                return current.obj
            if "generation" in cur_meta and _spec_view(obj) != _spec_view(current.obj):
                meta["generation"] = cur_meta["generation"] + 1
            if dry_run:
                return obj
            rv = self._next_rv()
            meta["resourceVersion"] = str(rv)
            entry = Entry(obj, encode(obj), current.order)
            self._objects[resource][(namespace, meta["name"])] = entry
            self._record("MODIFIED", resource, namespace, entry, rv, current)
            return obj

    def delete(self, resource: str, namespace: str, name: str, *, dry_run: bool = False
               ) -> dict[str, Any]:
        """Remove an object; returns it as it was."""
        with self.lock:
            entry = self.require(resource, namespace, name)
            if dry_run:
                return entry.obj
            del self._objects[resource][(namespace, name)]
            keys = self._order.get(resource)
            if keys is not None:
                del keys[bisect.bisect_left(keys, (namespace, name))]
            rv = self._next_rv()
            gone = dict(entry.obj)
            gone["metadata"] = {**gone["metadata"], "resourceVersion": str(rv)}
            self._record("DELETED", resource, namespace, Entry(gone, encode(gone), entry.order),
                         rv)
            return gone

    # ---- watching ------------------------------------------------------------------------
    def events_after(self, rv: int) -> list[WatchEvent] | None:
        """Logged events newer than rv, or None when rv is older than the log (410 Expired)."""
        with self.lock:
            if rv >= self._rv:
                return []
            if not self._log or self._log[0].rv > rv + 1:
                return None
            # The log is ordered by rv: skip from the right end for recent watchers.
            out = []
            for event in reversed(self._log):
                if event.rv <= rv:
                    break
                out.append(event)
            out.reverse()
            return out

    def oldest_watchable(self) -> int:
        """The oldest resourceVersion a watch can still start from."""
        with self.lock:
            return self._log[0].rv - 1 if self._log else self._rv

    def compact(self, keep: int = 0) -> None:
        """Forget old watch history (a real etcd compaction; tests use it to force a 410)."""
        with self.lock:
            while len(self._log) > keep:
                self._log.popleft()

    def add_listener(self, listener: Callable[[WatchEvent], None]) -> None:
        """Call listener (under the lock) for every change."""
        self._listeners.append(listener)
