"""One reflector for any namespaced list/watch resource: list in pages, watch from the list's
resourceVersion with bookmarks, re-list on 410 Expired, reconnect with backoff, and hand out
coalesced snapshots of compact rows with what changed since the previous one.

It runs blocking in one caller thread (`run(stop)`), which is where every callback comes from;
a helper thread reads the network. Raw JSON is turned into rows by a transform as it arrives
(page by page, event by event) and dropped, so only the rows are held.
"""

from __future__ import annotations

import json
import queue
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from tui.adapters.kube_base import (
    TRANSPORT_ERRORS,
    Backoff,
    Json,
    KubeBase,
    Watchdog,
    stream_lines,
)
from tui.adapters.kube_errors import Op
from tui.adapters.kube_types import KubeError
from tui.domain.gc_pause import gc_paused

R = TypeVar("R")
# Server-side watch lifetime, randomised as client-go does so reconnects spread out.
WATCH_SECONDS = (240, 480)
POLL = 0.1  # how often run() looks at `stop`
SETTLED = 1.0  # a watch stream shorter than this that saw nothing counts as a failure
TIMINGS_KEPT = 4096


class ReflectorState(StrEnum):
    """What a reflector is doing."""

    LISTING = "listing"
    WATCHING = "watching"
    RETRYING = "retrying"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class ReflectorStatus:
    """A status line for the UI: state, words, and how stale the rows are."""

    state: ReflectorState
    message: str
    count: int = 0
    resource_version: str = ""
    retry_in: float | None = None
    error: KubeError | None = None
    stale_since: float | None = None  # epoch seconds since when the rows may be out of date


@dataclass(frozen=True, slots=True)
class Snapshot(Generic[R]):
    """All rows (keyed by uid) and what changed since the previous snapshot."""

    rows: Mapping[str, R]
    added: frozenset[str]
    changed: frozenset[str]
    removed: frozenset[str]
    relisted: bool
    resource_version: str


@dataclass(frozen=True)
class Resource:
    """A namespaced resource the reflector can list and watch."""

    name: str  # as errors name it: `pods`, `replicasets.apps`
    api: str  # the KubeBase attribute with its endpoints: `core`, `apps`
    lister: str  # the endpoint method: `list_namespaced_pod`

    def list_call(self, kube: KubeBase) -> Callable[..., Any]:
        """The list/watch endpoint on this connection."""
        return getattr(getattr(kube, self.api), self.lister)


PODS = Resource("pods", "core", "list_namespaced_pod")
REPLICASETS = Resource("replicasets.apps", "apps", "list_namespaced_replica_set")
DEPLOYMENTS = Resource("deployments.apps", "apps", "list_namespaced_deployment")
EVENTS = Resource("events", "core", "list_namespaced_event")


def object_key(obj: Json) -> str:
    """An object's uid (namespace/name when the server sent none)."""
    meta = obj.get("metadata") or {}
    return str(meta.get("uid") or f"{meta.get('namespace', '')}/{meta.get('name', '')}")


class Reflector(Generic[R]):
    """Keeps the rows of one list/watch in step with the cluster; see the module docstring."""

    def __init__(self, kube: KubeBase, resource: Resource, namespace: str,
                 transform: Callable[[Json], R], on_change: Callable[[Snapshot[R]], None], *,
                 on_status: Callable[[ReflectorStatus], None] | None = None,
                 label_selector: str | Callable[[], str] = "", field_selector: str = "",
                 coalesce: float = 0.2, what: str = "") -> None:
        """Reflect `resource` in `namespace`; the label selector may be resolved lazily."""
        self.kube, self.resource, self.namespace = kube, resource, namespace
        self.transform, self.on_change, self.on_status = transform, on_change, on_status
        self.selector, self.field_selector = label_selector, field_selector
        self.coalesce = coalesce
        self.what = what or resource.name
        self.apply_seconds: deque[float] = deque(maxlen=TIMINGS_KEPT)
        self.events = 0
        self.relists = 0
        self._lock = threading.Lock()
        self._rows: dict[str, R] = {}
        self._added: set[str] = set()
        self._changed: set[str] = set()
        self._removed: set[str] = set()
        self._relisted = False
        self._dirty = False
        self._version = ""
        self._stale_since: float | None = None
        self._outbox: queue.SimpleQueue[ReflectorStatus | None] = queue.SimpleQueue()
        self._wake = threading.Event()

    # ---- the caller's thread ---------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        """Reflect until `stop` is set, calling back from this thread; never raises."""
        halt = threading.Event()
        reader = threading.Thread(target=self._read, args=(halt,), daemon=True,
                                  name=f"kube-reflector-{self.what}")
        reader.start()
        last_emit = time.monotonic() - self.coalesce
        try:
            while not stop.is_set():
                wait = POLL
                if self._dirty:
                    wait = min(POLL, max(last_emit + self.coalesce - time.monotonic(), 0.0))
                self._wake.wait(wait)
                self._wake.clear()
                while not stop.is_set():
                    try:
                        item = self._outbox.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:  # a full list landed: show it at once
                        last_emit = self._emit(last_emit)
                    elif self.on_status is not None:
                        self.on_status(item)
                if (self._dirty and not stop.is_set()
                        and time.monotonic() - last_emit >= self.coalesce):
                    last_emit = self._emit(last_emit)
        finally:
            halt.set()
            reader.join(timeout=0.5)
        if self.on_status is not None:
            self.on_status(ReflectorStatus(ReflectorState.STOPPED, f"stopped watching {self.what}",
                                           len(self._rows), self._version))

    def _emit(self, last_emit: float) -> float:
        with self._lock:
            if not self._dirty:
                return last_emit
            snapshot = Snapshot(MappingProxyType(dict(self._rows)), frozenset(self._added),
                                frozenset(self._changed), frozenset(self._removed),
                                self._relisted, self._version)
            self._added, self._changed, self._removed = set(), set(), set()
            self._relisted = self._dirty = False
        self.on_change(snapshot)
        return time.monotonic()

    # ---- bookkeeping (under the lock) ------------------------------------------------------
    def _put(self, key: str, row: R) -> None:
        existed = key in self._rows
        self._rows[key] = row
        if key in self._removed:
            self._removed.discard(key)
            self._changed.add(key)
        elif not existed:
            self._added.add(key)
        elif key not in self._added:
            self._changed.add(key)
        self._dirty = True

    def _drop(self, key: str) -> None:
        if self._rows.pop(key, None) is None:
            return
        if key in self._added:
            self._added.discard(key)
        else:
            self._removed.add(key)
        self._changed.discard(key)
        self._dirty = True

    # ---- the reader thread -----------------------------------------------------------------
    def _status(self, state: ReflectorState, message: str, **extra: Any) -> None:
        self._outbox.put(ReflectorStatus(state, message, len(self._rows), self._version,
                                         stale_since=self._stale_since, **extra))
        self._wake.set()

    def _read(self, halt: threading.Event) -> None:
        backoff = Backoff()
        selector: str | None = None
        while not halt.is_set():
            try:
                if selector is None:
                    selector = self.selector() if callable(self.selector) else self.selector
                if not self._version:
                    self._relist(selector, halt)
                    backoff.reset()
                    if halt.is_set():
                        return
                started = time.monotonic()
                expired, seen = self._watch(selector, halt)
                if expired:
                    self._version = ""
                    self._status(ReflectorState.LISTING, "watch history expired (410 Gone); "
                                 f"listing {self.what} again")
                elif seen:
                    backoff.reset()
                elif time.monotonic() - started < SETTLED and not halt.is_set():
                    # A stream the server closes at once, over and over, must not spin.
                    halt.wait(backoff.next())
            except KubeError as exc:
                if exc.status == 410:
                    self._version = ""
                    self._status(ReflectorState.LISTING, "watch history expired (410 Gone); "
                                 f"listing {self.what} again")
                    continue
                self._retry(backoff, halt, str(exc), exc)
            except Exception as exc:  # noqa: BLE001 - a reader thread must report, not die
                self._retry(backoff, halt, f"{self.what} watch failed unexpectedly ({exc!r})",
                            None)

    def _retry(self, backoff: Backoff, halt: threading.Event, text: str,
               error: KubeError | None) -> None:
        delay = backoff.next()
        if self._stale_since is None:
            self._stale_since = time.time()
        since = time.strftime("%H:%M:%S", time.localtime(self._stale_since))
        self._status(ReflectorState.RETRYING,
                     f"{text} — retrying in {delay:.1f}s ({self.what} stale since {since})",
                     retry_in=delay, error=error)
        halt.wait(delay)

    def _relist(self, selector: str, halt: threading.Event) -> None:
        """List every object page by page into rows, then swap them in as one change."""
        self._status(ReflectorState.LISTING, f"listing {self.what}")
        op = Op("list", self.resource.name, namespace=self.namespace)
        fresh: dict[str, R] = {}
        version = ""
        # Rows form no cycles and raw pages are freed by reference counting, so collections
        # during the list would only walk the rows already built.
        with gc_paused():
            for page, version in self.kube._pages(
                    op, self.resource.list_call(self.kube), self.namespace,
                    label_selector=selector or None, field_selector=self.field_selector or None):
                if halt.is_set():
                    return
                if not version:
                    fresh.clear()  # the list started over after an expired continue token
                for obj in page:
                    fresh[object_key(obj)] = self.transform(obj)
                del page
        with self._lock:
            for key in [k for k in self._rows if k not in fresh]:
                self._drop(key)
            for key, row in fresh.items():
                if self._rows.get(key) != row:
                    self._put(key, row)
            self._relisted = self._dirty = True
            self._version = version
            self.relists += 1
        self._stale_since = None
        self._outbox.put(None)
        self._status(ReflectorState.WATCHING,
                     f"watching {len(fresh)} {self.what} in {self.namespace}")

    def _watch(self, selector: str, halt: threading.Event) -> tuple[bool, bool]:
        """Follow one watch stream; returns (history expired?, saw any event?)."""
        op = Op("watch", self.resource.name, namespace=self.namespace)
        seconds = random.randint(*WATCH_SECONDS)
        response = self.kube._open(
            op, self.resource.list_call(self.kube), self.namespace,
            label_selector=selector or None, field_selector=self.field_selector or None,
            watch=True, resource_version=self._version, allow_watch_bookmarks=True,
            timeout_seconds=seconds, read_timeout=seconds + 30)
        if self._stale_since is not None:
            self._stale_since = None
            self._status(ReflectorState.WATCHING,
                         f"watching {len(self._rows)} {self.what} in {self.namespace} again")
        seen = False
        with Watchdog(response, halt) as dog:
            try:
                for line in stream_lines(response):
                    seen = True
                    if self._apply(op, line):
                        return True, seen
            except TRANSPORT_ERRORS as exc:
                if not dog.fired:
                    raise self.kube._convert(op, exc) from exc
            finally:
                response.close()
                response.release_conn()
        return False, seen

    def _apply(self, op: Op, line: bytes) -> bool:
        """Parse, transform and record one watch event; True when history has expired."""
        started = time.perf_counter()
        event = json.loads(line)
        event_type, obj = event.get("type"), event.get("object") or {}
        if event_type == "ERROR":
            if obj.get("code") == 410:
                return True
            raise op.error(f"the {self.what} watch failed: {obj.get('message') or obj}",
                           status=obj.get("code"), reason=obj.get("reason", ""))
        version = str((obj.get("metadata") or {}).get("resourceVersion") or "")
        if event_type in ("ADDED", "MODIFIED", "DELETED"):
            key = object_key(obj)
            row = self.transform(obj) if event_type != "DELETED" else None
            with self._lock:
                if row is None:
                    self._drop(key)
                else:
                    self._put(key, row)
                self._version = version or self._version
            self.events += 1
            self._wake.set()
            self.apply_seconds.append(time.perf_counter() - started)
        elif event_type == "BOOKMARK" and version:
            self._version = version
        return False
