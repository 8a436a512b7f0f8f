"""Pods of a Deployment: a fast raw-JSON list, and a resilient, coalescing watch."""

from __future__ import annotations

import queue
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from tui.adapters.kube_base import (
    TRANSPORT_ERRORS,
    Backoff,
    Json,
    KubeBase,
    Watchdog,
    label_selector,
    stream_events,
)
from tui.adapters.kube_errors import Op
from tui.adapters.kube_types import KubeError, PodList

# Server-side watch lifetime, randomised as client-go does so reconnects spread out.
WATCH_SECONDS = (240, 480)
POLL = 0.1  # how often the calling thread looks at `stop` while waiting for changes


class PodsMixin(KubeBase):
    """list_pods / watch_pods."""

    def pod_selector(self, deployment: str, namespace: str | None = None) -> str:
        """The Deployment's pod selector as a `labelSelector` string."""
        body = self._get_deployment(deployment, namespace)
        return label_selector((body.get("spec") or {}).get("selector"))

    def list_pods(self, deployment: str, namespace: str | None = None) -> PodList:
        """The Deployment's pods as raw dicts (paged, parsed without the typed models)."""
        ns = self._ns(namespace)
        selector = self.pod_selector(deployment, ns)
        items, version, pages = self._list(Op("list", "pods", namespace=ns),
                                           self.core.list_namespaced_pod, ns,
                                           label_selector=selector)
        return PodList(items, version, selector, pages)

    def watch_pods(self, deployment: str, on_change: Callable[[list[dict[str, Any]]], None],
                   stop: threading.Event, namespace: str | None = None, coalesce: float = 0.2,
                   *, on_status: Callable[[str], None] | None = None) -> None:
        """Call on_change with the full pod list whenever it changes, until `stop` is set.

        Lists, then watches from the list's resourceVersion; re-lists on 410 Expired and
        reconnects with backoff on errors. Callbacks run in the calling thread, at most once
        per `coalesce` seconds for on_change.
        """
        ns = self._ns(namespace)
        inbox: queue.Queue[tuple[str, Any]] = queue.Queue()
        halt = threading.Event()
        reader = threading.Thread(target=self._pod_reader, args=(deployment, ns, inbox, halt),
                                  name=f"kube-watch-pods-{deployment}", daemon=True)
        reader.start()
        pods: dict[str, Json] = {}
        dirty, last_emit = False, time.monotonic() - coalesce
        try:
            while not stop.is_set():
                now = time.monotonic()
                wait = POLL if not dirty else min(POLL, max(last_emit + coalesce - now, 0.0))
                try:
                    kind, payload = inbox.get(timeout=wait) if wait > 0 else inbox.get_nowait()
                except queue.Empty:
                    kind, payload = "", None
                if kind == "reset":
                    pods, dirty = payload, True
                elif kind == "event":
                    event_type, obj = payload
                    name = obj["metadata"]["name"]
                    if event_type == "DELETED":
                        pods.pop(name, None)
                    else:
                        pods[name] = obj
                    dirty = True
                elif kind == "status" and on_status is not None:
                    on_status(payload)
                now = time.monotonic()
                if dirty and now - last_emit >= coalesce and not stop.is_set():
                    on_change([pods[name] for name in sorted(pods)])
                    dirty, last_emit = False, now
        finally:
            halt.set()
            reader.join(timeout=0.5)

    # ---- the reader thread -----------------------------------------------------------------
    def _pod_reader(self, deployment: str, ns: str, out: queue.Queue[tuple[str, Any]],
                    halt: threading.Event) -> None:
        backoff = Backoff()
        selector: str | None = None
        version = ""
        while not halt.is_set():
            try:
                if selector is None:
                    # The selector of an apps/v1 Deployment is immutable: fetch it once.
                    selector = self.pod_selector(deployment, ns)
                if not version:
                    out.put(("status", f"listing pods of deployment {deployment}"))
                    items, version, _ = self._list(Op("list", "pods", namespace=ns),
                                                   self.core.list_namespaced_pod, ns,
                                                   label_selector=selector)
                    out.put(("reset", {p["metadata"]["name"]: p for p in items}))
                    status = f"watching {len(items)} pods of deployment {deployment} in {ns}"
                    out.put(("status", status))
                    backoff.reset()
                started = time.monotonic()
                version, expired, seen = self._follow_pods(ns, selector, version, out, halt)
                if expired:
                    out.put(("status", "watch history expired (410 Gone); listing again"))
                    version = ""
                elif seen:
                    backoff.reset()
                elif time.monotonic() - started < 1.0 and not halt.is_set():
                    # A stream the server closes at once, over and over, must not spin.
                    halt.wait(backoff.next())
            except KubeError as exc:
                if exc.status == 410:
                    version = ""
                    out.put(("status", "watch history expired (410 Gone); listing again"))
                    continue
                delay = backoff.next()
                out.put(("status", f"pod watch interrupted: {exc} — retrying in {delay:.1f}s"))
                halt.wait(delay)
            except Exception as exc:  # noqa: BLE001 - a reader thread must report, not die
                delay = backoff.next()
                status = f"pod watch failed unexpectedly ({exc!r}) — retrying in {delay:.1f}s"
                out.put(("status", status))
                halt.wait(delay)

    def _follow_pods(self, ns: str, selector: str, version: str,
                     out: queue.Queue[tuple[str, Any]], halt: threading.Event
                     ) -> tuple[str, bool, bool]:
        """Stream one watch; returns (last resourceVersion, expired?, saw any event?)."""
        op = Op("watch", "pods", namespace=ns)
        seconds = random.randint(*WATCH_SECONDS)
        response = self._open(op, self.core.list_namespaced_pod, ns, label_selector=selector,
                              watch=True, resource_version=version, allow_watch_bookmarks=True,
                              timeout_seconds=seconds, read_timeout=seconds + 30)
        seen = False
        with Watchdog(response, halt) as dog:
            try:
                for event in stream_events(response):
                    event_type, obj = event.get("type"), event.get("object") or {}
                    if event_type == "ERROR":
                        if obj.get("code") == 410:
                            return version, True, seen
                        raise op.error(f"the pod watch failed: {obj.get('message') or obj}",
                                       status=obj.get("code"), reason=obj.get("reason", ""))
                    version = (obj.get("metadata") or {}).get("resourceVersion") or version
                    seen = True
                    if event_type in ("ADDED", "MODIFIED", "DELETED"):
                        out.put(("event", (event_type, obj)))
            except TRANSPORT_ERRORS as exc:
                if not dog.fired:
                    raise self._convert(op, exc) from exc
            finally:
                response.close()
                response.release_conn()
        return version, False, seen
