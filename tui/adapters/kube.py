"""The Kubernetes adapter: every cluster operation the runbook actions need, on the official
`kubernetes` client, blocking (the app runs these in thread workers).

Every failure is a `KubeError` whose message names the resource and the next step. The code is
split by concern: kube_base (requests, errors, watch plumbing), kube_pods, kube_rollout,
kube_status, kube_ops, kube_snapshot, kube_reflector (live list/watch feeds), kube_api (the raw
endpoints); the returned types live in kube_types and the domain.
"""

from __future__ import annotations

import os
from types import TracebackType
from typing import Self

from kubernetes.client.api_client import ApiClient

from tui.adapters.kube_base import KubeBase, label_selector
from tui.adapters.kube_config import load_configuration
from tui.adapters.kube_ops import OpsMixin, pod_ready
from tui.adapters.kube_pods import PodsMixin
from tui.adapters.kube_reflector import (
    EVENTS,
    Reflector,
    ReflectorState,
    ReflectorStatus,
    Snapshot,
)
from tui.adapters.kube_rollout import RolloutMixin
from tui.adapters.kube_snapshot import SnapshotMixin
from tui.adapters.kube_status import StatusMixin, judge
from tui.adapters.kube_types import (
    AccessCheck,
    EnvChange,
    GitOpsInfo,
    KubeError,
    PodList,
    ReplicaSetInfo,
    Revision,
    RolloutProgress,
    Target,
    TemplateDiff,
    UndoResult,
)

USER_AGENT = "rollback-tui"


class Kube(StatusMixin, PodsMixin, RolloutMixin, OpsMixin, SnapshotMixin, KubeBase):
    """One cluster connection (context + namespace) and the operations on it."""

    @classmethod
    def connect(cls, kubeconfig: str | os.PathLike[str] | None = None,
                context: str | None = None, namespace: str | None = None, *,
                request_timeout: float = 30.0) -> Self:
        """Connect as kubectl would: --kubeconfig, else KUBECONFIG, else ~/.kube/config, else
        the in-cluster service account; namespace: given, else the context's, else default."""
        configuration, target = load_configuration(kubeconfig, context, namespace)
        api_client = ApiClient(configuration=configuration)
        api_client.user_agent = USER_AGENT
        return cls(api_client, target, request_timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Kube {self.target.describe()}>"


__all__ = [
    "EVENTS",
    "AccessCheck",
    "EnvChange",
    "GitOpsInfo",
    "Kube",
    "KubeError",
    "PodList",
    "Reflector",
    "ReflectorState",
    "ReflectorStatus",
    "ReplicaSetInfo",
    "Revision",
    "RolloutProgress",
    "Snapshot",
    "Target",
    "TemplateDiff",
    "UndoResult",
    "judge",
    "label_selector",
    "pod_ready",
]
