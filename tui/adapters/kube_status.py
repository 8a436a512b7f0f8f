"""`rollout status`: wait for a Deployment's rollout, judged only on fresh status, following
the Deployment through the shared reflector (list, watch, 410 re-list, reconnect)."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

from tui.adapters.kube_errors import Op
from tui.adapters.kube_pods import PodsMixin
from tui.adapters.kube_reflector import ReflectorStatus, Snapshot
from tui.adapters.kube_types import KubeError, RolloutProgress
from tui.domain.rollout import DEADLINE_REASON, judge, missing

FATAL_STATUSES = frozenset({401, 403, 404})
POLL = 0.05  # how often the waiting thread looks at `stop` and the deadline

__all__ = ["DEADLINE_REASON", "StatusMixin", "judge", "missing"]


class StatusMixin(PodsMixin):
    """rollout_status."""

    def rollout_status(self, deployment: str, *, timeout: float,
                       on_progress: Callable[[RolloutProgress], None] | None = None,
                       min_generation: int | None = None, stop: threading.Event | None = None,
                       namespace: str | None = None) -> RolloutProgress:
        """Wait until the rollout is complete; KubeError on deadline, timeout or stop.

        Progress counts only once observedGeneration has caught up with the Deployment's
        generation and with `min_generation` (the generation an undo produced), so a
        ProgressDeadlineExceeded left over from before the change is never taken for a verdict.
        """
        ns = self._ns(namespace)
        op = Op("watch", "deployments.apps", deployment, ns)
        deadline = time.monotonic() + timeout
        inbox: queue.SimpleQueue[Snapshot[dict] | ReflectorStatus] = queue.SimpleQueue()
        reflector = self.deployment_reflector(deployment, inbox.put, on_status=inbox.put,
                                              namespace=ns, coalesce=0.0)
        halt = threading.Event()
        follower = threading.Thread(target=reflector.run, args=(halt,), daemon=True,
                                    name=f"rollout-status-{deployment}")
        follower.start()
        last: RolloutProgress | None = None
        last_error: KubeError | None = None
        seen = False
        try:
            while True:
                if stop is not None and stop.is_set():
                    raise op.error(f'stopped waiting for the rollout of deployment "{deployment}"',
                                   reason="Cancelled")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise self._timed_out(op, timeout, last, last_error)
                try:
                    item = inbox.get(timeout=min(remaining, POLL))
                except queue.Empty:
                    continue
                if isinstance(item, ReflectorStatus):
                    if item.error is not None:
                        if item.error.status in FATAL_STATUSES:
                            raise item.error
                        last_error = item.error
                    continue
                obj = next(iter(item.rows.values()), None)
                if obj is None:
                    raise self._gone(op, seen)
                seen = True
                progress = judge(obj, min_generation=min_generation)
                if progress != last:
                    last = progress
                    if on_progress is not None:
                        on_progress(progress)
                if progress.stuck:
                    raise op.error(f'deployment "{deployment}" in namespace "{ns}" exceeded its '
                                   f"progress deadline ({progress.progressing_message}; "
                                   f"{missing(progress)}) — the new pods are not becoming "
                                   "available: check their events and logs, or roll back",
                                   reason=DEADLINE_REASON, detail=progress.progressing_message)
                if progress.done:
                    return progress
        finally:
            halt.set()
            follower.join(timeout=1.0)

    @staticmethod
    def _gone(op: Op, seen: bool) -> KubeError:
        if seen:
            return op.error(f'deployment "{op.name}" in namespace "{op.namespace}" was deleted '
                            "while waiting for its rollout", status=404, reason="NotFound")
        return op.error(f'not found: deployments.apps "{op.name}" in namespace "{op.namespace}" '
                        "— check the name and the namespace", status=404, reason="NotFound")

    @staticmethod
    def _timed_out(op: Op, timeout: float, progress: RolloutProgress | None,
                   last_error: KubeError | None) -> KubeError:
        still = missing(progress) if progress else "no status was read"
        error = f" (last error: {last_error})" if last_error else ""
        return op.error(f'rollout of deployment "{op.name}" in namespace "{op.namespace}" did '
                        f"not finish within {timeout:g}s: {still}{error} — check the pods "
                        f"(kubectl get pods -n {op.namespace}) or wait longer",
                        reason="Timeout")
