"""Table columns and cells for endpoints, endpoint slices, nodes, leases, secrets, ingresses.

The API server's printers for these kinds (printEndpoints, printEndpointSlice, printNode,
printLease, printSecret, printIngress), cell for cell; `tables.to_table` uses them beside its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tui.domain.pods import since

# (name, type, description, priority); the descriptions "name" and "age" are shared ones that
# tables.py fills in.
Column = tuple[str, str, str, int]

COLUMNS: dict[str, list[Column]] = {
    "Endpoints": [
        ("Name", "string", "name", 0),
        ("Endpoints", "string", "Endpoints of the service", 0),
        ("Age", "string", "age", 0),
    ],
    "EndpointSlice": [
        ("Name", "string", "name", 0),
        ("AddressType", "string", "The IP protocol for this slice", 0),
        ("Ports", "string", "Ports of the service", 0),
        ("Endpoints", "string", "Endpoints of the service", 0),
        ("Age", "string", "age", 0),
    ],
    "Node": [
        ("Name", "string", "name", 0),
        ("Status", "string", "The status of the node", 0),
        ("Roles", "string", "The roles of the node", 0),
        ("Age", "string", "age", 0),
        ("Version", "string", "Kubelet Version reported by the node.", 0),
        ("Internal-IP", "string", ("List of addresses reachable to the node. Queried from "
                                  "cloud provider, if available."), 1),
        ("External-IP", "string", ("List of addresses reachable to the node. Queried from "
                                  "cloud provider, if available."), 1),
        ("OS-Image", "string", ("OS Image reported by the node from /etc/os-release (e.g. "
                               "Debian GNU/Linux 7 (wheezy))."), 1),
        ("Kernel-Version", "string", ("Kernel Version reported by the node from 'uname -r' "
                                     "(e.g. 3.16.0-0.bpo.4-amd64)."), 1),
        ("Container-Runtime", "string", ("ContainerRuntime Version reported by the node "
                                        "through runtime remote API (e.g. "
                                        "containerd://1.4.2)."), 1),
    ],
    "Secret": [
        ("Name", "string", "name", 0),
        ("Type", "string", "Used to facilitate programmatic handling of secret data.", 0),
        ("Data", "string", "Data contains the secret data.", 0),
        ("Age", "string", "age", 0),
    ],
    "Lease": [
        ("Name", "string", "name", 0),
        ("Holder", "string", "The holder of the lease.", 0),
        ("Age", "string", "age", 0),
    ],
    "Ingress": [
        ("Name", "string", "name", 0),
        ("Class", "string", ("The name of the IngressClass resource that should be used to "
                            "configure this Ingress."), 0),
        ("Hosts", "string", ("Hosts that incoming requests are matched against before the "
                            "ingress rule"), 0),
        ("Address", "string", ("Address is a list containing ingress points for the "
                              "load-balancer"), 0),
        ("Ports", "string", "Ports of TLS configurations that open", 0),
        ("Age", "string", "age", 0),
    ],
}


def _more(items: list[str], count: int, limit: int = 3, empty: str = "<unset>") -> str:
    """Up to three items, then "+ N more..." (listWithMoreString)."""
    text = ",".join(items[:limit])
    if count > limit:
        return f"{text} + {count - limit} more..."
    return text or empty


def format_endpoints(endpoints: dict[str, Any], port_names: set[str] | None = None) -> str:
    """formatEndpoints: the ready addresses as IP:PORT (also `describe service`'s line)."""
    found: list[str] = []
    count = 0
    for subset in endpoints.get("subsets") or []:
        addresses = subset.get("addresses") or []
        ports = subset.get("ports") or []
        if not ports:
            count += len(addresses)
            found += [a.get("ip", "") for a in addresses]
            continue
        for port in ports:
            if port_names is None or port.get("name", "") in port_names:
                count += len(addresses)
                found += [f"{a.get('ip', '')}:{port.get('port')}" for a in addresses]
    return _more(found, count, empty="<none>")


def _endpoints_cells(obj: dict[str, Any], now: float) -> list[Any]:
    meta = obj["metadata"]
    return [meta.get("name", ""), format_endpoints(obj), since(meta.get("creationTimestamp"), now)]


def _slice_cells(obj: dict[str, Any], now: float) -> list[Any]:
    meta = obj["metadata"]
    ports = obj.get("ports") or []
    port_cells = [str(p["port"]) if p.get("port") is not None else p.get("name") or "*"
                  for p in ports]
    addresses = [a for e in obj.get("endpoints") or [] for a in e.get("addresses") or []]
    return [meta.get("name", ""), obj.get("addressType", ""), _more(port_cells, len(ports)),
            _more(addresses, len(addresses)), since(meta.get("creationTimestamp"), now)]


def _node_cells(obj: dict[str, Any], now: float) -> list[Any]:
    meta, spec, status = obj["metadata"], obj.get("spec") or {}, obj.get("status") or {}
    ready = [c for c in status.get("conditions") or [] if c.get("type") == "Ready"]
    states = ["Ready" if ready and ready[0].get("status") == "True" else
              "NotReady" if ready else "Unknown"]
    if spec.get("unschedulable"):
        states.append("SchedulingDisabled")
    prefix = "node-role.kubernetes.io/"
    roles = sorted(k.removeprefix(prefix) for k in meta.get("labels") or {}
                   if k.startswith(prefix) and k != prefix)
    addresses = status.get("addresses") or []
    info = status.get("nodeInfo") or {}

    def address(kind: str) -> str:
        return next((a["address"] for a in addresses if a.get("type") == kind), "<none>")

    return [meta.get("name", ""), ",".join(states), ",".join(roles) or "<none>",
            since(meta.get("creationTimestamp"), now), info.get("kubeletVersion", ""),
            address("InternalIP"), address("ExternalIP"), info.get("osImage", "<unknown>"),
            info.get("kernelVersion", "<unknown>"), info.get("containerRuntimeVersion", "")]


def _secret_cells(obj: dict[str, Any], now: float) -> list[Any]:
    meta = obj["metadata"]
    count = len(obj.get("data") or {}) + len(obj.get("stringData") or {})
    return [meta.get("name", ""), obj.get("type", "Opaque"), count,
            since(meta.get("creationTimestamp"), now)]


def _ingress_cells(obj: dict[str, Any], now: float) -> list[Any]:
    meta, spec = obj["metadata"], obj.get("spec") or {}
    hosts = [r["host"] for r in spec.get("rules") or [] if r.get("host")]
    ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    addresses = [i.get("ip") or i.get("hostname") or "" for i in ingress]
    return [meta.get("name", ""), spec.get("ingressClassName") or "<none>",
            _more(hosts, len(hosts), empty="*"), ",".join(addresses),
            "80, 443" if spec.get("tls") else "80", since(meta.get("creationTimestamp"), now)]


def _lease_cells(obj: dict[str, Any], now: float) -> list[Any]:
    meta = obj["metadata"]
    return [meta.get("name", ""), (obj.get("spec") or {}).get("holderIdentity", ""),
            since(meta.get("creationTimestamp"), now)]


PRINTERS: dict[str, Callable[[dict[str, Any], float], list[Any]]] = {
    "Endpoints": _endpoints_cells, "EndpointSlice": _slice_cells, "Node": _node_cells,
    "Secret": _secret_cells, "Ingress": _ingress_cells, "Lease": _lease_cells,
}
