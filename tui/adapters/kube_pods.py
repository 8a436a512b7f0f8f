"""Pods of a Deployment: a fast raw-JSON list, and live reflectors of its pods, ReplicaSets and
the Deployment itself (what the pod panel and the rollout view follow)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tui.adapters.kube_base import Json, KubeBase, label_selector
from tui.adapters.kube_errors import Op
from tui.adapters.kube_reflector import (
    DEPLOYMENTS,
    PODS,
    REPLICASETS,
    Reflector,
    ReflectorStatus,
    Resource,
    Snapshot,
)
from tui.adapters.kube_types import PodList
from tui.domain.pods import PodRow, pod_row
from tui.domain.rollout import ReplicaSetInfo, replicaset_info

StatusCallback = Callable[[ReflectorStatus], None] | None


def deployment_row(raw: Json) -> Json:
    """A Deployment as `judge` reads it, without managedFields (one object: raw is fine)."""
    meta = {k: v for k, v in (raw.get("metadata") or {}).items() if k != "managedFields"}
    return {**raw, "metadata": meta}


class PodsMixin(KubeBase):
    """list_pods and the reflectors of a Deployment."""

    def pod_selector(self, deployment: str, namespace: str | None = None) -> str:
        """The Deployment's pod selector as a `labelSelector` string."""
        body = self._get_deployment(deployment, namespace)
        return label_selector((body.get("spec") or {}).get("selector"))

    def list_pods(self, deployment: str, namespace: str | None = None) -> PodList:
        """The Deployment's pods as raw dicts (paged, parsed without the typed models)."""
        ns = self._ns(namespace)
        selector = self.pod_selector(deployment, ns)
        items, version, pages = self._list(Op("list", "pods", namespace=ns),
                                           self.core.list_namespaced_pod, ns,
                                           label_selector=selector)
        return PodList(items, version, selector, pages)

    def reflector(self, resource: Resource, transform: Callable[[Json], Any],
                  on_change: Callable[[Snapshot[Any]], None], *, on_status: StatusCallback = None,
                  namespace: str | None = None, label_selector: str | Callable[[], str] = "",
                  field_selector: str = "", coalesce: float = 0.2, what: str = ""
                  ) -> Reflector[Any]:
        """A reflector of any namespaced resource (e.g. EVENTS) on this connection."""
        return Reflector(self, resource, self._ns(namespace), transform, on_change,
                         on_status=on_status, label_selector=label_selector,
                         field_selector=field_selector, coalesce=coalesce, what=what)

    def _selector_of(self, deployment: str, ns: str) -> Callable[[], str]:
        # Resolved by the reflector's reader, so a missing Deployment becomes a retry status;
        # the selector of an apps/v1 Deployment is immutable, so it is fetched once.
        self._require_name("deployments.apps", deployment)
        return lambda: self.pod_selector(deployment, ns)

    def pod_reflector(self, deployment: str, on_change: Callable[[Snapshot[PodRow]], None], *,
                      on_status: StatusCallback = None, namespace: str | None = None,
                      coalesce: float = 0.2) -> Reflector[PodRow]:
        """The Deployment's pods as compact rows (selector taken from the Deployment)."""
        ns = self._ns(namespace)
        return Reflector(self, PODS, ns, pod_row, on_change, on_status=on_status,
                         label_selector=self._selector_of(deployment, ns), coalesce=coalesce,
                         what=f"pods of deployment {deployment}")

    def replicaset_reflector(self, deployment: str,
                             on_change: Callable[[Snapshot[ReplicaSetInfo]], None], *,
                             on_status: StatusCallback = None, namespace: str | None = None,
                             coalesce: float = 0.2) -> Reflector[ReplicaSetInfo]:
        """The Deployment's ReplicaSets (revisions, versions, replica counts)."""
        ns = self._ns(namespace)
        return Reflector(self, REPLICASETS, ns, replicaset_info, on_change, on_status=on_status,
                         label_selector=self._selector_of(deployment, ns), coalesce=coalesce,
                         what=f"replicasets of deployment {deployment}")

    def deployment_reflector(self, deployment: str, on_change: Callable[[Snapshot[Json]], None],
                             *, on_status: StatusCallback = None, namespace: str | None = None,
                             coalesce: float = 0.2) -> Reflector[Json]:
        """The one Deployment (rows: its API object, for `judge`)."""
        self._require_name("deployments.apps", deployment)
        return Reflector(self, DEPLOYMENTS, self._ns(namespace), deployment_row, on_change,
                         on_status=on_status, field_selector=f"metadata.name={deployment}",
                         coalesce=coalesce, what=f"deployment {deployment}")
