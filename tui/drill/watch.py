"""Watch streams: chunked JSON lines with ADDED/MODIFIED/DELETED, BOOKMARKs and 410 Expired."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from tui.drill.store import encode
from tui.drill.tables import to_table

if TYPE_CHECKING:
    from tui.drill.api import KubeAPI, Target
    from tui.drill.httpserver import Request

BOOKMARK_EVERY = 5.0
MAX_WATCH_SECONDS = 1800.0
POLL = 0.5


def _expired(rv: int, oldest: int) -> bytes:
    status = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
              "message": f"too old resource version: {rv} ({oldest})", "reason": "Expired",
              "code": 410}
    return encode({"type": "ERROR", "object": status}) + b"\n"


def serve_watch(api: KubeAPI, request: Request, target: Target) -> None:
    """Stream changes of one resource until timeoutSeconds, a drop fault, or the client leaves."""
    store, res = api.store, target.resource
    match = api.matcher(request, res.kind)
    table = "as=Table" in request.headers.get("accept", "")
    include = request.query.get("includeObject", "Metadata")
    bookmarks = request.query.get("allowWatchBookmarks") in ("true", "1", "True")
    # As the API server: an integer, and 0 (or none) means the server's own limit.
    timeout = request.query_int("timeoutSeconds", 0) or MAX_WATCH_SECONDS
    started = time.monotonic()
    deadline = started + min(timeout, MAX_WATCH_SECONDS)

    def ends_at() -> float:
        # Read on every pass: a drop-watches fault applied mid-stream also ends open streams.
        drop_after = api.faults.drop_watches
        return min(deadline, started + drop_after) if drop_after else deadline

    def line(event_type: str, obj: dict[str, Any], raw: bytes | None = None) -> bytes:
        if table and event_type != "BOOKMARK":
            body = to_table(res.kind, [obj], now=store.clock.now(),
                            resource_version=obj["metadata"].get("resourceVersion", ""),
                            include_object=include, no_headers=False)
            return encode({"type": event_type, "object": body}) + b"\n"
        payload = raw if raw is not None else encode(obj)
        return b'{"type":"' + event_type.encode() + b'","object":' + payload + b"}\n"

    request.start_stream("application/json")
    requested = request.query.get("resourceVersion", "")
    with store.lock:
        if requested in ("", "0"):
            last = store.resource_version
            # In list order from the store's sorted keys: no sort of every object under the lock.
            initial, _, _ = store.page(res.name, target.namespace, None, match, 0)
            backlog = None
        else:
            last = int(requested) if requested.isdigit() else 0
            initial = []
            backlog = store.events_after(last)
            if backlog is None:
                oldest = store.oldest_watchable()
    if requested not in ("", "0") and backlog is None:
        request.write_chunk(_expired(last, oldest))
        return
    try:
        request.write_chunk(b"".join(line("ADDED", e.obj, e.raw) for e in initial))
        pending = backlog or []
        idle_since = time.monotonic()
        while True:
            chunk = []
            for event in pending:
                last = event.rv
                if event.resource != res.name:
                    continue
                if target.namespace is not None and event.namespace != target.namespace:
                    continue
                matches = match(event.entry.obj)
                prev = event.prev if event.type == "MODIFIED" else None
                if prev is not None and matches != match(prev.obj):
                    # Entering the selector is ADDED; leaving it is DELETED with the last
                    # matching state at this resourceVersion, as the API server's watch cache.
                    if matches:
                        chunk.append(line("ADDED", event.entry.obj, event.entry.raw))
                    else:
                        left = {**prev.obj, "metadata": {**prev.obj["metadata"],
                                                         "resourceVersion": str(event.rv)}}
                        chunk.append(line("DELETED", left))
                elif matches:
                    chunk.append(line(event.type, event.entry.obj, event.entry.raw))
            if chunk:
                request.write_chunk(b"".join(chunk))
                idle_since = time.monotonic()
            now = time.monotonic()
            if now >= ends_at() or api.shutdown.is_set():
                return
            if bookmarks and now - idle_since >= BOOKMARK_EVERY:
                mark = {"kind": res.kind, "apiVersion": res.api_version,
                        "metadata": {"resourceVersion": str(max(last, 0))}}
                request.write_chunk(line("BOOKMARK", mark))
                idle_since = now
            if request.client_gone():
                return
            with store.lock:
                if store.resource_version <= last and not api.shutdown.is_set():
                    store.changed.wait(timeout=min(POLL, max(ends_at() - now, 0.01)))
                got = store.events_after(last)
                if got is None:
                    oldest = store.oldest_watchable()
            if got is None:
                request.write_chunk(_expired(last, oldest))
                return
            pending = got
    except OSError:
        return
