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
from tui.adapters.kube_types import KubeError, PodList
from tui.domain.pod_details import TAIL_LINES, PodDetails, log_container, pod_details
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

    def pod_details(self, name: str, namespace: str | None = None, *,
                    tail_lines: int = TAIL_LINES) -> PodDetails:
        """A pod's conditions, container states, recent events and the last log lines of its
        current and previous container (a log that cannot be read becomes a note, not an
        error: a container that never restarted has no previous log)."""
        self._require_name("pods", name)
        ns = self._ns(namespace)
        pod = self._request(Op("get", "pods", name, ns), self.core.read_namespaced_pod, name, ns)
        uid = (pod.get("metadata") or {}).get("uid")
        events, _, _ = self._list(Op("list", "events", namespace=ns),
                                  self.core.list_namespaced_event, ns,
                                  field_selector=f"involvedObject.name={name}")
        events = [e for e in events
                  if not uid or (e.get("involvedObject") or {}).get("uid") in (None, "", uid)]
        container = log_container(pod)
        logs: list[str | None] = []
        notes: list[str] = []
        for previous in (False, True):
            try:
                raw = self._fetch(Op("get", "pods/log", name, ns),
                                  self.core.read_namespaced_pod_log, name, ns,
                                  container=container or None, tail_lines=tail_lines,
                                  previous="true" if previous else None)
                logs.append(raw.decode("utf-8", "replace"))
                notes.append("")
            except KubeError as exc:
                logs.append(None)
                notes.append(f"no {'previous' if previous else 'current'} log: {exc}")
        return pod_details(pod, events, logs[0], logs[1], container=container,
                           log_note=notes[0], previous_log_note=notes[1], tail=tail_lines)
