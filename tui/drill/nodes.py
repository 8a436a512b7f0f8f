"""The drill's node: the one machine every simulated pod is scheduled on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tui.drill.clock import rfc3339
from tui.drill.store import Store

NODE_NAME = "drill-node-1"  # the podsim schedules every pod here
NODE_IP = "172.18.0.2"  # and reports it as each pod's hostIP
KUBELET_VERSION = "v1.32.0"
LEASE_NAMESPACE = "kube-node-lease"
RENEW_SECONDS = 10.0  # the kubelet renews its lease every 10 s (a quarter of its duration)
REPORT_SECONDS = 300.0  # and reports an unchanged node status every 5 minutes

_CONDITIONS = (
    ("MemoryPressure", "False", "KubeletHasSufficientMemory", ("kubelet has sufficient memory "
                                                              "available")),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
)


def drill_node(born: float, now: float, pods: int = 0, name: str = NODE_NAME,
               ip: str = NODE_IP) -> dict[str, Any]:
    """A Ready worker node as a kubelet registers it (capacity, conditions, node info).

    Sized like a common 8-core, 32 GiB worker (110 pods), or larger when the scenario runs more
    pods than that (the scale drills), so `describe node` never shows it over-committed.
    """
    cores = max(8, -(-pods // 5))  # room for twice the pods' 100m CPU requests
    capacity = {"cpu": str(cores), "ephemeral-storage": "102626232Ki", "hugepages-1Gi": "0",
                "hugepages-2Mi": "0", "memory": f"{cores * 4107457}Ki",
                "pods": str(max(110, 2 * pods))}
    conditions = [{"type": kind, "status": status, "reason": reason, "message": message,
                   "lastHeartbeatTime": rfc3339(now), "lastTransitionTime": rfc3339(born)}
                  for kind, status, reason, message in _CONDITIONS]
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "creationTimestamp": rfc3339(born),
                     "labels": {"beta.kubernetes.io/arch": "amd64",
                                "beta.kubernetes.io/os": "linux",
                                "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name,
                                "kubernetes.io/os": "linux"},
                     "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                                     "volumes.kubernetes.io/controller-managed-attach-detach":
                                         "true"}},
        "spec": {"podCIDR": "10.244.0.0/16", "podCIDRs": ["10.244.0.0/16"],
                 "providerID": f"drill://{name}"},
        "status": {
            "capacity": capacity, "allocatable": dict(capacity),
            "conditions": conditions,
            "addresses": [{"type": "InternalIP", "address": ip},
                          {"type": "Hostname", "address": name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {"machineID": "d1e11c0de0000000000000000000d1e1",
                         "systemUUID": "d1e11c0d-e000-0000-0000-00000000d1e1",
                         "bootID": "b0070000-0000-0000-0000-000000000001",
                         "kernelVersion": "6.8.0-drill", "osImage": "Debian GNU/Linux 12 "
                                                                    "(bookworm)",
                         "containerRuntimeVersion": "containerd://1.7.24",
                         "kubeletVersion": KUBELET_VERSION, "kubeProxyVersion": KUBELET_VERSION,
                         "operatingSystem": "linux", "architecture": "amd64"},
        },
    }


def _micro_time(epoch: float) -> str:
    """A MicroTime (`2026-11-30T01:02:03.000000Z`), as lease renewals are stamped."""
    return rfc3339(epoch).removesuffix("Z") + f".{int(epoch % 1 * 1e6):06d}Z"


def node_lease(name: str, uid: str, born: float, now: float) -> dict[str, Any]:
    """The kubelet's heartbeat: its Lease in kube-node-lease, owned by the node."""
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": name, "namespace": LEASE_NAMESPACE,
                         "creationTimestamp": rfc3339(born),
                         "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": name,
                                              "uid": uid}]},
            "spec": {"holderIdentity": name, "leaseDurationSeconds": 40,
                     "renewTime": _micro_time(now)}}


class Nodes:
    """Registers the drill's node and renews its lease as a kubelet would."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._renewed = self._reported = 0.0

    def register(self, born: float, now: float, pods: int = 0) -> None:
        """Create the node (sized for `pods`) and its lease."""
        if self.store.get("namespaces", "", LEASE_NAMESPACE) is None:
            self.store.create("namespaces", {
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": LEASE_NAMESPACE, "creationTimestamp": rfc3339(born)},
                "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
        node = self.store.create("nodes", drill_node(born, now, pods))
        self.store.create("leases", node_lease(NODE_NAME, node["metadata"]["uid"], born, now))
        self._renewed = self._reported = now

    def tick(self, now: float) -> None:
        """Renew the lease every RENEW_SECONDS and report the node's status every
        REPORT_SECONDS (wall-clock time, as the kubelet does); nothing in between."""
        if now - self._renewed >= RENEW_SECONDS:
            self._renewed = now
            self._stamp("leases", LEASE_NAMESPACE, lambda lease: {
                **lease, "spec": {**lease["spec"], "renewTime": _micro_time(now)}})
        if now - self._reported >= REPORT_SECONDS:
            self._reported = now
            stamp = rfc3339(now)
            self._stamp("nodes", "", lambda node: {**node, "status": {
                **node["status"], "conditions": [{**c, "lastHeartbeatTime": stamp}
                                                 for c in node["status"]["conditions"]]}})

    def _stamp(self, resource: str, namespace: str,
               change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        with self.store.lock:
            entry = self.store.get(resource, namespace, NODE_NAME)
            if entry is not None:
                obj = change(entry.obj)
                self.store.replace(resource, {**obj, "metadata": dict(obj["metadata"])})
