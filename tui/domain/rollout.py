"""A Deployment's rollout judged as `kubectl rollout status` does, on fresh status only, with the
new ReplicaSet and the old ones still draining when their ReplicaSets are known."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tui.domain.pods import VERSION_LABELS, epoch, image_tag

DEADLINE_REASON = "ProgressDeadlineExceeded"
REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ReplicaSetInfo:
    """One ReplicaSet of a Deployment: its revision, what it runs and how many pods it has."""

    name: str
    revision: int | None
    version: str
    images: tuple[str, ...]
    desired: int
    replicas: int
    ready: int
    available: int
    pod_template_hash: str = ""
    owner_uid: str = ""
    uid: str = ""
    created: float | None = None


@dataclass(frozen=True, slots=True)
class RolloutProgress:
    """A Deployment's rollout state, with kubectl's `rollout status` wording in `message`."""

    updated: int
    ready: int
    available: int
    desired: int
    old_pending: int
    message: str
    done: bool = False
    generation: int = 0
    observed_generation: int = 0
    name: str = ""
    namespace: str = ""
    total: int = 0
    paused: bool = False
    fresh: bool = True
    progressing_reason: str = ""
    progressing_message: str = ""
    stuck: bool = False
    new_replicaset: ReplicaSetInfo | None = None
    old_replicasets: tuple[ReplicaSetInfo, ...] = ()

    @property
    def replicas(self) -> int:
        """The desired replica count (the name the adapter's callers have always used)."""
        return self.desired


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    try:
        return int(value) if isinstance(value, str) else 0
    except ValueError:
        return 0


def _revision(meta: Json) -> int | None:
    text = _dict(meta.get("annotations")).get(REVISION_ANNOTATION)
    try:
        return int(text) if isinstance(text, str) else None
    except ValueError:
        return None


def replicaset_info(raw: Json) -> ReplicaSetInfo:
    """A ReplicaSet API object as the few facts a rollout view shows."""
    meta, spec, status = (_dict(raw.get("metadata")), _dict(raw.get("spec")),
                          _dict(raw.get("status")))
    template = _dict(spec.get("template"))
    labels = _dict(_dict(template.get("metadata")).get("labels")) or _dict(meta.get("labels"))
    containers = _dict(template.get("spec")).get("containers")
    images = tuple(sys.intern(str(_dict(c).get("image") or ""))
                   for c in (containers if isinstance(containers, list) else []))
    version = next((str(labels[k]) for k in VERSION_LABELS if labels.get(k)), "")
    if not version and images:
        version = image_tag(images[0])
    owner = next((str(_dict(o).get("uid") or "") for o in meta.get("ownerReferences") or []
                  if _dict(o).get("controller")), "")
    desired = spec.get("replicas")
    return ReplicaSetInfo(
        name=str(meta.get("name") or ""), revision=_revision(meta), version=version,
        images=images, desired=_int(desired) if desired is not None else 1,
        replicas=_int(status.get("replicas")), ready=_int(status.get("readyReplicas")),
        available=_int(status.get("availableReplicas")),
        pod_template_hash=str(labels.get("pod-template-hash") or ""), owner_uid=owner,
        uid=str(meta.get("uid") or ""), created=epoch(meta.get("creationTimestamp")))


def revisions_by_hash(replicasets: Iterable[ReplicaSetInfo]) -> dict[str, int]:
    """pod-template-hash → revision, to fill in `PodRow.revision` for the rows a view shows."""
    return {rs.pod_template_hash: rs.revision for rs in replicasets
            if rs.pod_template_hash and rs.revision is not None}


def progressing_condition(deployment: Json) -> Json:
    """The Deployment's Progressing condition ({} when it has none)."""
    for condition in _dict(deployment.get("status")).get("conditions") or []:
        if _dict(condition).get("type") == "Progressing":
            return condition
    return {}


def _split(deployment: Json, replicasets: Iterable[Json | ReplicaSetInfo]
           ) -> tuple[ReplicaSetInfo | None, tuple[ReplicaSetInfo, ...]]:
    """The Deployment's new ReplicaSet and its old ones that still have pods."""
    meta = _dict(deployment.get("metadata"))
    uid = str(meta.get("uid") or "")
    owned = [rs if isinstance(rs, ReplicaSetInfo) else replicaset_info(rs) for rs in replicasets]
    owned = [rs for rs in owned if not uid or not rs.owner_uid or rs.owner_uid == uid]
    if not owned:
        return None, ()
    # The controller stamps the new ReplicaSet's revision on the Deployment.
    wanted = _revision(meta)
    new = next((rs for rs in owned if wanted is not None and rs.revision == wanted), None)
    if new is None:
        new = max(owned, key=lambda rs: (rs.revision or 0, rs.created or 0.0))
    draining = tuple(sorted((rs for rs in owned if rs is not new and rs.replicas > 0),
                            key=lambda rs: -(rs.revision or 0)))
    return new, draining


def judge(deployment: Json, replicasets: Iterable[Json | ReplicaSetInfo] | None = None,
          min_generation: int | None = None) -> RolloutProgress:
    """The rollout state of a Deployment object, with kubectl's rollout-status message.

    Status counts only once observedGeneration has caught up with the Deployment's generation
    and with `min_generation` (e.g. the generation an undo produced): a stale
    ProgressDeadlineExceeded or a stale "successfully rolled out" is never a verdict.
    """
    meta, spec = _dict(deployment.get("metadata")), _dict(deployment.get("spec"))
    status = _dict(deployment.get("status"))
    name = str(meta.get("name") or "")
    generation = _int(meta.get("generation"))
    observed = _int(status.get("observedGeneration"))
    wanted = _int(spec["replicas"]) if spec.get("replicas") is not None else 1
    updated = _int(status.get("updatedReplicas"))
    ready = _int(status.get("readyReplicas"))
    available = _int(status.get("availableReplicas"))
    total = _int(status.get("replicas"))
    old_pending = max(total - updated, 0)
    fresh = observed >= max(generation, min_generation or 0)
    condition = progressing_condition(deployment)
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
    stuck = fresh and not done and condition.get("reason") == DEADLINE_REASON
    if stuck:
        message = f'deployment "{name}" exceeded its progress deadline'
    paused = bool(spec.get("paused"))
    if paused and not done:
        message += " (the deployment is paused: it will not progress until resumed)"
    new, old = _split(deployment, replicasets) if replicasets is not None else (None, ())
    return RolloutProgress(
        updated=updated, ready=ready, available=available, desired=wanted,
        old_pending=old_pending, message=message, done=done, generation=generation,
        observed_generation=observed, name=name, namespace=str(meta.get("namespace") or ""),
        total=total, paused=paused, fresh=fresh,
        progressing_reason=str(condition.get("reason") or ""),
        progressing_message=str(condition.get("message") or ""), stuck=stuck,
        new_replicaset=new, old_replicasets=old)


def missing(progress: RolloutProgress) -> str:
    """What a rollout still lacks, in words."""
    if not progress.fresh or progress.observed_generation < progress.generation:
        return (f"the controller has not observed the change yet (observed generation "
                f"{progress.observed_generation}, want {progress.generation} or later)")
    parts = []
    if progress.updated < progress.desired:
        parts.append(f"{progress.desired - progress.updated} of {progress.desired} replicas "
                     "not updated")
    if progress.old_pending:
        draining = ", ".join(f"{rs.name} (revision {rs.revision}, {rs.replicas} pods)"
                             for rs in progress.old_replicasets)
        parts.append(f"{progress.old_pending} old replicas still running"
                     + (f": {draining}" if draining else ""))
    if progress.ready < progress.desired:
        parts.append(f"{progress.desired - progress.ready} not ready")
    if progress.available < progress.desired:
        parts.append(f"{progress.desired - progress.available} not available")
    return ", ".join(parts) or progress.message
