"""When and how long to wait before trying a Kubernetes request again.

Idempotent requests (reads and access reviews) that got a 5xx or 429 are retried with
exponential backoff and jitter, honouring Retry-After; a write that got a 409 Conflict is
re-read and re-applied by its caller, as client-go's RetryOnConflict does. Every wait ends
early when the step running the request is stopped or times out, and each retry is reported
to whoever runs that step (the session journals it).
"""

from __future__ import annotations

import functools
import random
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from tui.adapters.kube_types import KubeError

ATTEMPTS = 5  # client-go's DefaultRetry and DefaultBackoff both make 5 steps
FIRST_DELAY = 0.2  # seconds; doubled on each attempt
MAX_DELAY = 5.0
MAX_RETRY_AFTER = 30.0  # a server asking for longer is not waited for
_rng = random.Random()
P = ParamSpec("P")
R = TypeVar("R")


class _Scope(threading.local):
    stop: threading.Event | None = None
    report: Callable[[dict[str, Any]], None] | None = None


_scope = _Scope()


@contextmanager
def retry_scope(stop: threading.Event | None,
                report: Callable[[dict[str, Any]], None] | None) -> Iterator[None]:
    """Within this block (one step, on this thread) retries wait on `stop` and are reported."""
    previous = (_scope.stop, _scope.report)
    _scope.stop, _scope.report = stop, report
    try:
        yield
    finally:
        _scope.stop, _scope.report = previous


def delay(attempt: int, retry_after: str | None = None) -> float:
    """Seconds to wait before attempt `attempt + 1`: jittered backoff, or the server's
    Retry-After when it asks for longer (up to MAX_RETRY_AFTER)."""
    backoff = min(MAX_DELAY, FIRST_DELAY * 2 ** (attempt - 1))
    jittered = backoff * (0.5 + _rng.random() / 2)  # 50-100 %: clients do not retry in step
    try:
        asked = float(retry_after) if retry_after is not None else 0.0
    except ValueError:
        asked = 0.0  # an HTTP date or garbage: fall back to our own backoff
    if 0 < asked <= MAX_RETRY_AFTER:  # false for nan too
        return max(jittered, asked)
    return jittered


def wait_before_retry(info: dict[str, Any], attempt: int, retry_after: str | None) -> bool:
    """Report the retry and wait; False (no retry) when the step was stopped meanwhile."""
    seconds = delay(attempt, retry_after)
    if _scope.report is not None:
        _scope.report({**info, "attempt": attempt + 1, "wait_seconds": round(seconds, 3)})
    if _scope.stop is None:
        threading.Event().wait(seconds)
        return True
    return not _scope.stop.wait(seconds)


def retry_on_conflict(method: Callable[P, R]) -> Callable[P, R]:
    """Run a read-then-write operation again when its write got 409 Conflict: the object
    changed between the read and the write, so it is read afresh and the change re-applied."""
    @functools.wraps(method)
    def again(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return method(*args, **kwargs)
            except KubeError as exc:
                if exc.status != 409 or attempt == ATTEMPTS:
                    raise
                info = {"verb": exc.verb, "resource": exc.resource, "name": exc.name,
                        "namespace": exc.namespace, "status": 409, "reason": "Conflict",
                        "then": "read it again and re-apply the change"}
                if not wait_before_retry(info, attempt, None):
                    raise
        raise AssertionError("unreachable")

    return again
