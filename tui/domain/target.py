"""The rollback target: which revision of a Deployment is the last known good one.

Resolved once, at decision time, and frozen in the journal: every later step rolls back to *that*
revision (found again by its ReplicaSet and pod-template hash, since kubectl renumbers revisions
on every undo), never to "the previous one" relative to whatever happens to be live.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

VERSION_LABELS = ("app.kubernetes.io/version", "version")
TEMPLATE_HASH = "pod-template-hash"


class TargetError(ValueError):
    """No revision qualifies as the target; the message says why and what to do."""


def image_tag(image: str) -> str:
    """`registry/app:2.3.1` → `2.3.1` (digests and untagged images give "")."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else ""


def template_version(template: Mapping[str, Any]) -> str:
    """The version a pod template runs: a version label, else the first image's tag."""
    labels = (template.get("metadata") or {}).get("labels") or {}
    for key in VERSION_LABELS:
        if labels.get(key):
            return str(labels[key])
    containers = (template.get("spec") or {}).get("containers") or []
    return image_tag(str(containers[0].get("image", ""))) if containers else ""


@dataclass(frozen=True)
class RevisionFacts:
    """What the target choice needs to know about one revision of a Deployment."""

    number: int
    replicaset: str
    images: tuple[str, ...]
    version: str
    pod_template_hash: str = ""
    current: bool = False
    change_cause: str = ""

    @property
    def label(self) -> str:
        """`rev 2 (2.3.1)`."""
        return f"rev {self.number} ({self.version or ', '.join(self.images) or '?'})"


@dataclass(frozen=True)
class RolloutTarget:
    """The frozen target of one Deployment, as journaled in `target.resolved`."""

    namespace: str
    deployment: str
    revision: int
    replicaset: str
    images: tuple[str, ...]
    version: str
    pod_template_hash: str
    live_revision: int
    live_version: str
    chosen_by: str
    reason: str
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """`namespace/deployment`, the key the incident state keeps targets under."""
        return f"{self.namespace}/{self.deployment}"

    @property
    def label(self) -> str:
        """`rev 2 (2.3.1)`."""
        return f"rev {self.revision} ({self.version or ', '.join(self.images)})"

    def matches(self, facts: RevisionFacts) -> bool:
        """Whether a revision of today's history is this target (same ReplicaSet or template)."""
        if self.pod_template_hash and facts.pod_template_hash:
            return self.pod_template_hash == facts.pod_template_hash
        return bool(self.replicaset) and facts.replicaset == self.replicaset

    def to_dict(self) -> dict[str, Any]:
        """JSON for the journal."""
        return {"namespace": self.namespace, "deployment": self.deployment,
                "revision": self.revision, "replicaset": self.replicaset,
                "images": list(self.images), "version": self.version,
                "pod_template_hash": self.pod_template_hash,
                "live_revision": self.live_revision, "live_version": self.live_version,
                "chosen_by": self.chosen_by, "reason": self.reason}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RolloutTarget:
        """Rebuild a journaled target."""
        return cls(str(data.get("namespace", "")), str(data.get("deployment", "")),
                   int(data.get("revision") or 0), str(data.get("replicaset", "")),
                   tuple(str(i) for i in data.get("images") or ()), str(data.get("version", "")),
                   str(data.get("pod_template_hash", "")), int(data.get("live_revision") or 0),
                   str(data.get("live_version", "")), str(data.get("chosen_by", "")),
                   str(data.get("reason", "")))


def choose_target(revisions: Sequence[RevisionFacts], *, namespace: str, deployment: str,
                  expected_version: str | None = None, bad_version: str | None = None,
                  pick: int | None = None) -> RolloutTarget:
    """The last known good revision.

    The operator's pick wins; else the newest revision serving `expected_version`; else the
    newest revision older than the live one whose version differs from the bad one (the live
    one's unless given). Raises TargetError naming the revisions there are.
    """
    if not revisions:
        raise TargetError(f"deployment {deployment} in {namespace} has no rollout history — "
                          "there is nothing to roll back to")
    ordered = sorted(revisions, key=lambda r: r.number)
    live = next((r for r in reversed(ordered) if r.current), ordered[-1])
    known = ", ".join(r.label for r in ordered)
    if pick is not None:
        chosen = next((r for r in ordered if r.number == pick), None)
        if chosen is None:
            raise TargetError(f"revision {pick} is not in the history of deployment "
                              f"{deployment} (revisions: {known})")
        how, why = "operator", f"picked by the operator: {chosen.label}"
    elif expected_version:
        serving = [r for r in ordered if r.version == expected_version]
        if not serving:
            raise TargetError(f"no revision of deployment {deployment} serves the expected "
                              f"version {expected_version} (revisions: {known}) — pick one, "
                              "or correct expected_version")
        chosen = serving[-1]
        how, why = "expected_version", (f"newest revision serving the expected version "
                                        f"{expected_version}")
    else:
        bad = bad_version or live.version
        older = [r for r in ordered if r.number < live.number and r.version != bad]
        if not older:
            raise TargetError(f"no revision of deployment {deployment} older than the live "
                              f"{live.label} serves a version other than {bad} "
                              f"(revisions: {known}) — pick one")
        chosen = older[-1]
        how, why = "default", (f"newest revision older than the live {live.label} whose "
                               f"version differs from the bad {bad}")
    return RolloutTarget(namespace, deployment, chosen.number, chosen.replicaset,
                         chosen.images, chosen.version, chosen.pod_template_hash,
                         live.number, live.version, how, why)
