"""What the Kubernetes adapter returns and raises: plain dataclasses, no `kubernetes` import.

Kept apart from the client code so screens and messages can carry these types without pulling
in the Kubernetes client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tui.domain.actions import Permission
from tui.domain.rollout import ReplicaSetInfo, RolloutProgress

__all__ = ["AccessCheck", "EnvChange", "GitOpsInfo", "KubeError", "PodList", "ReplicaSetInfo",
           "Revision", "RolloutProgress", "Target", "TemplateDiff", "UndoResult"]


class KubeError(Exception):
    """A failed Kubernetes operation, worded for the operator: what failed and what to do next."""

    def __init__(self, message: str, *, status: int | None = None, reason: str = "",
                 verb: str = "", resource: str = "", name: str = "", namespace: str = "",
                 detail: str = "") -> None:
        """Keep the message and the structured fields the UI and the journal use."""
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason
        self.verb = verb
        self.resource = resource
        self.name = name
        self.namespace = namespace
        self.detail = detail

    def __str__(self) -> str:
        """The operator-facing message."""
        return self.message

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON (for the journal)."""
        return {"message": self.message, "status": self.status, "reason": self.reason,
                "verb": self.verb, "resource": self.resource, "name": self.name,
                "namespace": self.namespace, "detail": self.detail}


@dataclass(frozen=True)
class Target:
    """Which cluster, context, user and namespace a `Kube` talks to (shown in the UI)."""

    context: str
    server: str
    user: str
    namespace: str
    in_cluster: bool = False
    kubeconfig: str = ""
    drill: bool = False

    def describe(self) -> str:
        """`context drill (http://127.0.0.1:1234), namespace production`."""
        where = "in-cluster service account" if self.in_cluster else f"context {self.context}"
        return f"{where} ({self.server}), namespace {self.namespace}"


@dataclass
class PodList:
    """Pods as raw API dicts plus the list's resourceVersion (the point a watch resumes from)."""

    items: list[dict[str, Any]]
    resource_version: str
    selector: str = ""
    pages: int = 1


@dataclass
class Revision:
    """One entry of a Deployment's rollout history (one ReplicaSet)."""

    number: int
    change_cause: str
    images: list[str]
    replicaset: str
    created: str
    template: dict[str, Any]
    replicas: int = 0
    current: bool = False
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass
class TemplateDiff:
    """What rolling back would change, as human-readable lines per aspect."""

    from_revision: int
    to_revision: int
    images: list[str] = field(default_factory=list)
    env: list[str] = field(default_factory=list)
    config_refs: list[str] = field(default_factory=list)
    probes: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when the two templates do not differ in any aspect shown."""
        return not self.lines()

    def lines(self) -> list[str]:
        """Every line, each prefixed with its aspect."""
        aspects = (("image", self.images), ("env", self.env), ("config", self.config_refs),
                   ("probe", self.probes), ("resources", self.resources),
                   ("other", self.other))
        return [f"{name}: {line}" for name, lines in aspects for line in lines]


@dataclass
class UndoResult:
    """The outcome of `rollout_undo`; `generation` lets `rollout_status` judge freshness."""

    changed: bool
    message: str
    from_revision: int
    to_revision: int
    generation: int
    dry_run: bool = False
    resumed: bool = False
    request: str = ""
    patch: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class EnvChange:
    """What `set_env` replaced: per container, each variable's old value (None: was unset)."""

    old: dict[str, dict[str, str | None]]
    generation: int


@dataclass(frozen=True)
class AccessCheck:
    """One SelfSubjectAccessReview answer."""

    permission: Permission
    allowed: bool
    reason: str = ""


@dataclass(frozen=True)
class GitOpsInfo:
    """A GitOps controller that will revert manual changes, and how to pause it first."""

    tool: str
    app: str
    namespace: str
    suspend: str
    resume: str
    evidence: str = ""
