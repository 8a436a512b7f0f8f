"""Kubernetes Events the simulated controllers emit (named so they sort by time)."""

from __future__ import annotations

from typing import Any

from tui.drill.clock import rfc3339
from tui.drill.store import Store


def record_event(store: Store, obj: dict[str, Any], api_version: str, kind: str, reason: str,
                 message: str, *, event_type: str = "Normal",
                 component: str = "deployment-controller", at: float | None = None,
                 first_at: float | None = None, count: int = 1) -> None:
    """Create an Event about obj, or bump the count of an identical recent one.

    `at` is when it happened (default: now); `count` occurrences from `first_at` to `at` are
    recorded at once when a history is written after the fact.
    """
    meta = obj["metadata"]
    namespace = meta.get("namespace", "default")
    now = store.clock.now() if at is None else at
    first = now if first_at is None else first_at
    key = (meta.get("uid", ""), reason, message)
    with store.lock:
        known = store.event_index.get(key)
        existing = store.get("events", *known) if known else None
        if existing is not None:
            updated = {**existing.obj, "count": existing.obj.get("count", 1) + count,
                       "lastTimestamp": rfc3339(now), "metadata": dict(existing.obj["metadata"])}
            store.replace("events", updated)
            return
        name = f"{meta['name']}.{int(first * 1e9):x}{store.rng.randrange(16**4):04x}"
        store.create("events", {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": {"kind": kind, "namespace": namespace, "name": meta["name"],
                               "uid": meta.get("uid", ""), "apiVersion": api_version,
                               "resourceVersion": meta.get("resourceVersion", "")},
            "reason": reason,
            "message": message,
            "type": event_type,
            "count": count,
            "firstTimestamp": rfc3339(first),
            "lastTimestamp": rfc3339(now),
            "source": {"component": component},
            "reportingComponent": component,
            "reportingInstance": "",
        })
        store.event_index[key] = (namespace, name)
