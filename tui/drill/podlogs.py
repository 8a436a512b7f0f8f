"""Container logs as a record: every container instance keeps its lines and their timestamps.

A line is written once, at the moment it happened, and read back the same way every time: the
kubelet's `timestamps=true` prefix, `sinceSeconds`/`sinceTime` and `previous` all read the same
record. Periodic lines of a running container are derived from its start time (not stored one
by one), so a quiet 5,000-pod drill costs nothing until someone asks for a log.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tui.drill.clock import DrillClock, rfc3339
from tui.drill.httpserver import Request, Response, status_response

if TYPE_CHECKING:
    from tui.drill.podsim import Behavior

LINE_EVERY = 5.0  # scenario seconds between a running container's periodic lines
KEPT_LINES = 2000  # the newest lines a container's log keeps (the kubelet rotates logs too)
FOLLOW_POLL = 0.2  # seconds between looks for new lines while following
FOLLOW_LAG = 0.5  # seconds a followed line waits: longer than the simulation's tick
PodKey = tuple[str, str]


@dataclass
class ContainerRun:
    """One instance of a pod's container: when it ran and what it wrote."""

    started: float
    every: float  # real seconds between periodic lines
    periodic: str  # the text of the periodic line ("" for none)
    lines: list[tuple[float, str]] = field(default_factory=list)  # written at moments
    finished: float | None = None

    def record(self, until: float) -> list[tuple[float, str]]:
        """Every line written before `until` (and before the container stopped), in order."""
        end = until if self.finished is None else min(until, self.finished)
        found = [line for line in self.lines if line[0] < until and (
            self.finished is None or line[0] <= self.finished)]
        if self.periodic and self.every > 0:
            # Periodic lines at started + k·every, strictly before the end (a crash line last).
            count = max(int((end - self.started) / self.every - 1e-9), 0)
            found += [(self.started + k * self.every, self.periodic)
                      for k in range(max(count - KEPT_LINES, 0) + 1, count + 1)]
        found.sort(key=lambda line: line[0])
        return found[-KEPT_LINES:]


def nano_stamp(epoch: float) -> str:
    """The container runtime's timestamp: RFC 3339 with nanoseconds, as `--timestamps` shows."""
    whole = int(epoch)
    nanos = round((epoch - whole) * 1e9)
    if nanos >= 1_000_000_000:
        whole, nanos = whole + 1, nanos - 1_000_000_000
    return f"{rfc3339(whole)[:-1]}.{nanos:09d}Z"


def parse_since_time(text: str) -> float:
    """Epoch seconds of an RFC 3339 time with optional fraction (`sinceTime`)."""
    try:
        return datetime.fromisoformat(text).astimezone(UTC).timestamp()
    except ValueError:
        raise ValueError(f"invalid value for sinceTime: {text!r} is not an RFC 3339 time"
                         ) from None


def _periodic_line(behavior: Behavior) -> str:
    if behavior.kind == "never-ready":
        return "WARN readiness: dependency not reachable (database connection refused)"
    if behavior.error_ratio > 0.05:
        return "ERROR payment client: upstream returned 500 (request failed)"
    return "INFO served requests: all healthy"


class PodLogs:
    """The log record of every pod's container instances, oldest first."""

    def __init__(self, clock: DrillClock, stopping: threading.Event | None = None) -> None:
        self.clock = clock
        self.stopping = stopping or threading.Event()
        self._runs: dict[PodKey, list[ContainerRun]] = {}
        self._lock = threading.Lock()

    # ---- writing (the pod lifecycles) ------------------------------------------------------
    def started(self, key: PodKey, name: str, behavior: Behavior, at: float) -> None:
        """A new container instance started at `at`."""
        run = ContainerRun(at, self.clock.scaled(LINE_EVERY), _periodic_line(behavior))
        run.lines.append((at, f"starting {name} version {behavior.version}"))
        run.lines.append((at + self.clock.scaled(0.2), "listening on :8080"))
        with self._lock:
            self._runs.setdefault(key, []).append(run)

    def stopped(self, key: PodKey, at: float, last_line: str) -> None:
        """The current container instance stopped at `at`, writing `last_line` as it did."""
        with self._lock:
            runs = self._runs.get(key)
            if not runs or runs[-1].finished is not None:
                return
            run = runs[-1]
            run.lines = [line for line in run.lines if line[0] < at]
            run.lines.append((at, last_line))
            run.finished = at

    def forget(self, key: PodKey) -> None:
        """The pod is gone: its logs go with it (after its streams have seen the end)."""
        with self._lock:
            self._runs.pop(key, None)

    def runs(self, key: PodKey) -> list[ContainerRun]:
        """The pod's container instances, oldest first."""
        with self._lock:
            return list(self._runs.get(key, ()))

    # ---- reading (GET …/pods/NAME/log) -----------------------------------------------------
    def serve(self, pod: dict[str, Any], request: Request) -> Response:
        """Answer a log request as the kubelet does (plain text; streamed with follow=true)."""
        meta = pod["metadata"]
        name, key = meta["name"], (meta.get("namespace", ""), meta["name"])
        query = request.query
        containers = [c["name"] for c in pod["spec"].get("containers") or []]
        container = query.get("container") or (containers[0] if len(containers) == 1 else "")
        if container not in containers:
            if not container:
                return status_response(400, "BadRequest", f"a container name must be specified "
                                       f"for pod {name}, choose one of: {containers}")
            return status_response(400, "BadRequest", f"container {container} is not valid for "
                                   f"pod {name}")
        if query.get("sinceSeconds") and query.get("sinceTime"):
            return status_response(422, "Invalid", "at most one of `sinceTime` or "
                                   "`sinceSeconds` may be specified")
        run = self._chosen_run(pod, key, container, _truthy(query.get("previous")))
        if isinstance(run, Response):
            return run
        now = self.clock.now()
        since = None
        if query.get("sinceSeconds"):
            since = now - request.query_int("sinceSeconds", 0, minimum=1)
        elif query.get("sinceTime"):
            since = parse_since_time(query["sinceTime"])
        stamps = _truthy(query.get("timestamps"))
        lines = [line for line in run.record(now) if since is None or line[0] >= since]
        tail = request.query_int("tailLines", -1, minimum=0) if query.get("tailLines") else -1
        if tail >= 0:
            lines = lines[len(lines) - tail:] if tail else []
        limit = request.query_int("limitBytes", 0, minimum=1) if query.get("limitBytes") else 0
        body = _render(lines, stamps)
        if not _truthy(query.get("follow")):
            return Response(200, body[:limit] if limit else body, "text/plain")
        lagging = now - FOLLOW_LAG if run.finished is None else now
        body = _render([line for line in lines if line[0] < lagging], stamps)
        self._follow(request, run, body, lagging, stamps, limit)
        return Response(200, b"", "text/plain")

    def _chosen_run(self, pod: dict[str, Any], key: PodKey, container: str, previous: bool
                    ) -> ContainerRun | Response:
        # The kubelet's choice (validateContainerLogStatus): `previous` reads the last terminated
        # instance; otherwise the running one, or — while waiting to restart — the last one.
        name = pod["metadata"]["name"]
        runs = self.runs(key)
        statuses = {s.get("name"): s for s in pod.get("status", {}).get("containerStatuses") or []}
        state = statuses.get(container, {}).get("state") or {}
        current = runs[-1] if runs else None
        if previous:
            done = [r for r in runs if r.finished is not None]
            if not done:
                return status_response(400, "BadRequest", f'previous terminated container '
                                       f'"{container}" in pod "{name}" not found')
            return done[-1]
        if current is None:
            reason = (state.get("waiting") or {}).get("reason", "ContainerCreating")
            return status_response(400, "BadRequest", f'container "{container}" in pod "{name}" '
                                   f"is waiting to start: {reason}")
        return current

    def _follow(self, request: Request, run: ContainerRun, first: bytes, sent_until: float,
                stamps: bool, limit: int) -> None:
        """Stream the record as it grows, until the container stops or the client leaves."""
        request.start_stream("text/plain")
        budget = limit or -1
        try:
            budget = _send(request, first, budget)
            while budget != 0 and not self.stopping.is_set():
                if request.client_gone():
                    return
                time.sleep(FOLLOW_POLL)
                # A change is written when the simulation notices it, up to a tick after it
                # happened: lines are sent that much later, so none lands before a sent one.
                finished = run.finished is not None
                upto = self.clock.now() - (0 if finished else FOLLOW_LAG)
                fresh = [line for line in run.record(upto) if line[0] >= sent_until]
                sent_until = max(sent_until, upto)
                budget = _send(request, _render(fresh, stamps), budget)
                if finished:
                    return
        except OSError:
            return


def _send(request: Request, data: bytes, budget: int) -> int:
    """Write data within the byte budget (-1: none); the budget left."""
    if budget >= 0:
        data = data[:budget]
        budget -= len(data)
    request.write_chunk(data)
    return budget


def _render(lines: list[tuple[float, str]], stamps: bool) -> bytes:
    # The application stamps its own lines (whole seconds); the runtime's prefix is exact.
    out = []
    for at, text in lines:
        line = f"{rfc3339(at)} {text}\n"
        out.append(f"{nano_stamp(at)} {line}" if stamps else line)
    return "".join(out).encode()


def _truthy(value: str | None) -> bool:
    return value in ("true", "1", "True")
