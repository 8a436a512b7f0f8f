"""The resource kinds the drill cluster serves, with what discovery says about them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resource:
    """One served resource type."""

    name: str
    singular: str
    kind: str
    group: str
    version: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ("create", "delete", "deletecollection", "get", "list", "patch",
                              "update", "watch")
    subresources: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        """`v1` or `apps/v1`."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        """`PodList`, …."""
        return f"{self.kind}List"


RESOURCES: dict[str, Resource] = {
    r.name: r
    for r in (
        Resource("pods", "pod", "Pod", "", "v1", True, ("po",), subresources=("log", "status")),
        Resource("services", "service", "Service", "", "v1", True, ("svc",),
                 subresources=("status",)),
        Resource("configmaps", "configmap", "ConfigMap", "", "v1", True, ("cm",)),
        Resource("events", "event", "Event", "", "v1", True, ("ev",)),
        Resource("namespaces", "namespace", "Namespace", "", "v1", False, ("ns",),
                 verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
                 subresources=("status",)),
        Resource("deployments", "deployment", "Deployment", "apps", "v1", True, ("deploy",),
                 subresources=("scale", "status")),
        Resource("replicasets", "replicaset", "ReplicaSet", "apps", "v1", True, ("rs",),
                 subresources=("scale", "status")),
        Resource("endpoints", "endpoints", "Endpoints", "", "v1", True, ("ep",)),
        Resource("endpointslices", "endpointslice", "EndpointSlice", "discovery.k8s.io", "v1",
                 True),
        Resource("nodes", "node", "Node", "", "v1", False, ("no",),
                 subresources=("status",)),
        Resource("secrets", "secret", "Secret", "", "v1", True),
        Resource("leases", "lease", "Lease", "coordination.k8s.io", "v1", True),
        Resource("ingresses", "ingress", "Ingress", "networking.k8s.io", "v1", True, ("ing",),
                 subresources=("status",)),
    )
}
ALL_CATEGORY = ("pods", "services", "deployments", "replicasets")


def by_group(group: str, version: str) -> list[Resource]:
    """The resources of one API group version."""
    return [r for r in RESOURCES.values() if r.group == group and r.version == version]
