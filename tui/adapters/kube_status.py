"""`rollout status`: wait for a Deployment's rollout, judged only on fresh status."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from tui.adapters.kube_base import (
    TRANSPORT_ERRORS,
    Backoff,
    Json,
    KubeBase,
    Watchdog,
    stream_events,
)
from tui.adapters.kube_errors import Op
from tui.adapters.kube_types import KubeError, RolloutProgress

DEADLINE_REASON = "ProgressDeadlineExceeded"
MAX_WATCH_SECONDS = 300
FATAL_STATUSES = frozenset({401, 403, 404})


def judge(deployment: Json, min_generation: int | None = None) -> RolloutProgress:
    """The rollout state of a Deployment object, with kubectl's rollout-status message."""
    meta, spec = deployment.get("metadata") or {}, deployment.get("spec") or {}
    status = deployment.get("status") or {}
    name = meta.get("name", "")
    generation = int(meta.get("generation") or 0)
    observed = int(status.get("observedGeneration") or 0)
    wanted = int(spec.get("replicas", 1) if spec.get("replicas") is not None else 1)
    updated = int(status.get("updatedReplicas") or 0)
    ready = int(status.get("readyReplicas") or 0)
    available = int(status.get("availableReplicas") or 0)
    total = int(status.get("replicas") or 0)
    old_pending = max(total - updated, 0)
    fresh = observed >= max(generation, min_generation or 0)
    waiting = f'Waiting for deployment "{name}" rollout to finish: '
    done = False
    if not fresh:
        message = "Waiting for deployment spec update to be observed..."
    elif updated < wanted:
        message = waiting + f"{updated} out of {wanted} new replicas have been updated..."
    elif total > updated:
        message = waiting + f"{old_pending} old replicas are pending termination..."
    elif available < updated:
        message = waiting + f"{available} of {updated} updated replicas are available..."
    elif ready < wanted or available < wanted:
        message = waiting + f"{ready} of {wanted} updated replicas are ready..."
    else:
        message, done = f'deployment "{name}" successfully rolled out', True
    if spec.get("paused") and not done:
        message += " (the deployment is paused: it will not progress until resumed)"
    return RolloutProgress(updated=updated, ready=ready, available=available, replicas=wanted,
                           old_pending=old_pending, message=message, done=done,
                           generation=generation, observed_generation=observed)


def deadline_condition(deployment: Json) -> Json | None:
    """The Progressing condition when it says ProgressDeadlineExceeded."""
    for condition in (deployment.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Progressing" and condition.get("reason") == DEADLINE_REASON:
            return condition
    return None


def missing(progress: RolloutProgress) -> str:
    """What a rollout still lacks, in words."""
    if progress.observed_generation < progress.generation or (
            not progress.done and progress.message.startswith("Waiting for deployment spec")):
        return (f"the controller has not observed the change yet (observed generation "
                f"{progress.observed_generation}, want {progress.generation} or later)")
    parts = []
    if progress.updated < progress.replicas:
        parts.append(f"{progress.replicas - progress.updated} of {progress.replicas} replicas "
                     "not updated")
    if progress.old_pending:
        parts.append(f"{progress.old_pending} old replicas still running")
    if progress.ready < progress.replicas:
        parts.append(f"{progress.replicas - progress.ready} not ready")
    if progress.available < progress.replicas:
        parts.append(f"{progress.replicas - progress.available} not available")
    return ", ".join(parts) or progress.message


class StatusMixin(KubeBase):
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
        backoff = Backoff()
        state: dict[str, RolloutProgress | None] = {"last": None}
        last_error: KubeError | None = None

        def consider(obj: Json) -> RolloutProgress | None:
            progress = judge(obj, min_generation)
            fresh = progress.observed_generation >= max(progress.generation, min_generation or 0)
            if progress != state["last"]:
                state["last"] = progress
                if on_progress is not None:
                    on_progress(progress)
            condition = deadline_condition(obj)
            if fresh and condition is not None and not progress.done:
                raise op.error(f'deployment "{deployment}" in namespace "{ns}" exceeded its '
                               f"progress deadline ({condition.get('message', '')}; "
                               f"{missing(progress)}) — the new pods are not becoming "
                               "available: check their events and logs, or roll back",
                               reason=DEADLINE_REASON, detail=condition.get("message", ""))
            return progress if progress.done else None

        version = ""
        while True:
            if stop is not None and stop.is_set():
                raise op.error(f'stopped waiting for the rollout of deployment "{deployment}"',
                               reason="Cancelled")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._timed_out(op, timeout, state["last"], last_error)
            try:
                if not version:
                    body = self._request(Op("list", "deployments.apps", deployment, ns),
                                         self.apps.list_namespaced_deployment, ns,
                                         field_selector=f"metadata.name={deployment}")
                    items = body.get("items") or []
                    if not items:
                        raise op.error(f'not found: deployments.apps "{deployment}" in namespace '
                                       f'"{ns}" — check the name and the namespace',
                                       status=404, reason="NotFound")
                    version = str((body.get("metadata") or {}).get("resourceVersion") or "")
                    finished = consider(items[0])
                    if finished:
                        return finished
                finished, version = self._follow_deployment(op, version, remaining, stop,
                                                            deadline, consider)
                if finished:
                    return finished
                backoff.reset()
            except KubeError as exc:
                if exc.reason in (DEADLINE_REASON, "Cancelled") or exc.status in FATAL_STATUSES:
                    raise
                if exc.status == 410:
                    version = ""
                    continue
                last_error = exc
                pause = min(backoff.next(), max(deadline - time.monotonic(), 0))
                if stop is not None:
                    stop.wait(pause)
                else:
                    time.sleep(pause)

    def _follow_deployment(self, op: Op, version: str, remaining: float,
                           stop: threading.Event | None, deadline: float,
                           consider: Callable[[Json], RolloutProgress | None]
                           ) -> tuple[RolloutProgress | None, str]:
        """One watch stream; returns (the finished progress or None, last resourceVersion)."""
        seconds = max(1, min(MAX_WATCH_SECONDS, math.ceil(remaining)))
        response = self._open(op, self.apps.list_namespaced_deployment, op.namespace,
                              field_selector=f"metadata.name={op.name}", watch=True,
                              resource_version=version, allow_watch_bookmarks=True,
                              timeout_seconds=seconds, read_timeout=seconds + 30)
        with Watchdog(response, stop, deadline) as dog:
            try:
                for event in stream_events(response):
                    event_type, obj = event.get("type"), event.get("object") or {}
                    if event_type == "ERROR":
                        if obj.get("code") == 410:
                            return None, ""
                        raise op.error(f"the deployment watch failed: {obj.get('message')}",
                                       status=obj.get("code"), reason=obj.get("reason", ""))
                    version = (obj.get("metadata") or {}).get("resourceVersion") or version
                    if event_type == "DELETED":
                        raise op.error(f'deployment "{op.name}" in namespace "{op.namespace}" '
                                       "was deleted while waiting for its rollout",
                                       status=404, reason="NotFound")
                    if event_type in ("ADDED", "MODIFIED"):
                        finished = consider(obj)
                        if finished:
                            return finished, version
            except TRANSPORT_ERRORS as exc:
                if not dog.fired:
                    raise self._convert(op, exc) from exc
            finally:
                response.close()
                response.release_conn()
        return None, version

    @staticmethod
    def _timed_out(op: Op, timeout: float, progress: RolloutProgress | None,
                   last_error: KubeError | None) -> KubeError:
        still = missing(progress) if progress else "no status was read"
        error = f" (last error: {last_error})" if last_error else ""
        return op.error(f'rollout of deployment "{op.name}" in namespace "{op.namespace}" did '
                        f"not finish within {timeout:g}s: {still}{error} — check the pods "
                        f"(kubectl get pods -n {op.namespace}) or wait longer",
                        reason="Timeout")
