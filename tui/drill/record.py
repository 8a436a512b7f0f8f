"""The drill's record of changes: every mutating request it served, and who sent it.

The scorecard tells changes made by the runbook (the product's clients send a `rollback-tui`
User-Agent) from changes made outside it (kubectl in another pane), so the record keeps each
write request's user agent beside what it changed. The drill's own `/drill/*` admin endpoints
are not changes to the practised system and are left out.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from tui.drill.controller import REVISION

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LIMIT = 10_000  # changes kept (the newest); a drill hammered by a script cannot fill memory
ADMIN_PREFIX = "/drill"


@dataclass(frozen=True)
class Change:
    """One mutating request the drill served."""

    at: str  # ISO 8601 UTC, wall clock (the journal's clock)
    method: str
    path: str
    kind: str  # the resource (deployments, pods, feature-flags …)
    namespace: str
    name: str
    subresource: str
    user_agent: str
    status: int
    dry_run: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, as journaled in `drill.record`."""
        return asdict(self)


def wall_iso(epoch: float | None = None) -> str:
    """`2026-11-30T12:03:11.123456+00:00`, the journal's timestamp form."""
    moment = datetime.now(UTC) if epoch is None else datetime.fromtimestamp(epoch, UTC)
    return moment.isoformat()


def describe_path(path: str, app_namespace: Callable[[str], str] | None = None
                  ) -> tuple[str, str, str, str]:
    """(kind, namespace, name, subresource) a request path names; blanks where it names none.

    Kubernetes paths (`/api/v1/namespaces/NS/pods/NAME/eviction`,
    `/apis/apps/v1/namespaces/NS/deployments/NAME/scale`) and the simulated apps' APIs
    (`/apps/SERVICE/admin/feature-flags/KEY`: kind `feature-flags`, name `KEY`, the service's
    namespace when `app_namespace` knows it).
    """
    parts = [p for p in path.split("/") if p]
    if not parts:
        return "", "", "", ""
    if parts[0] == "api":
        rest = parts[2:]
    elif parts[0] == "apis":
        rest = parts[3:]
    elif parts[0] == "apps" and len(parts) >= 2:
        return _app_path(parts[1], parts[2:], app_namespace)
    else:
        return parts[0], "", "", ""
    namespace = ""
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    elif len(rest) == 2 and rest[0] == "namespaces":
        return "namespaces", "", rest[1], ""
    kind = rest[0] if rest else ""
    name = rest[1] if len(rest) > 1 else ""
    sub = "/".join(rest[2:])
    return kind, namespace, name, sub


def _app_path(service: str, rest: list[str], app_namespace: Callable[[str], str] | None
              ) -> tuple[str, str, str, str]:
    namespace = app_namespace(service) if app_namespace else ""
    if rest[:1] == ["admin"]:
        rest = rest[1:]
    kind = rest[0] if rest else "app"
    name = "/".join(rest[1:]) or service
    return kind, namespace, name, ""


class ChangeRecord:
    """The bounded, thread-safe list of changes; `observe` is the HTTP server's hook."""

    def __init__(self, limit: int = LIMIT,
                 app_namespace: Callable[[str], str] | None = None) -> None:
        self._changes: deque[Change] = deque(maxlen=limit)
        self._lock = threading.Lock()
        self.app_namespace = app_namespace
        self.dropped = 0  # changes pushed out by newer ones

    def observe(self, method: str, raw_path: str, query: dict[str, str],
                headers: dict[str, str], status: int) -> None:
        """Keep one served request if it is a change (a write outside `/drill/*`)."""
        if method not in MUTATING:
            return
        if raw_path == ADMIN_PREFIX or raw_path.startswith(ADMIN_PREFIX + "/"):
            return
        kind, namespace, name, sub = describe_path(raw_path, self.app_namespace)
        dry_run = query.get("dryRun", "") == "All"
        change = Change(wall_iso(), method, raw_path, kind, namespace, name, sub,
                        headers.get("user-agent", ""), status, dry_run)
        with self._lock:
            if len(self._changes) == self._changes.maxlen:
                self.dropped += 1
            self._changes.append(change)

    def hook(self, request: Any, status: int) -> None:
        """The HTTP server's observer: `request` has method, path, query and headers."""
        self.observe(request.method, request.path, request.query, request.headers, status)

    def changes(self) -> list[dict[str, Any]]:
        """Every kept change, oldest first, JSON-ready."""
        with self._lock:
            return [c.to_dict() for c in self._changes]


def deployment_states(deployments: Iterable[dict[str, Any]], version_of: Callable[[str], str]
                      ) -> dict[str, dict[str, Any]]:
    """`{"ns/name": {revision, image, version, paused, ready, replicas}}` of Deployment objects."""
    states: dict[str, dict[str, Any]] = {}
    for obj in deployments:
        meta, spec = obj["metadata"], obj.get("spec") or {}
        containers = spec.get("template", {}).get("spec", {}).get("containers") or [{}]
        image = str(containers[0].get("image", ""))
        revision = str((meta.get("annotations") or {}).get(REVISION, "0"))
        states[f"{meta.get('namespace', '')}/{meta['name']}"] = {
            "revision": int(revision) if revision.isdigit() else 0,
            "image": image, "version": version_of(image), "paused": bool(spec.get("paused")),
            "ready": int((obj.get("status") or {}).get("readyReplicas") or 0),
            "replicas": int(spec.get("replicas") or 0)}
    return states
