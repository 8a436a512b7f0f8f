"""Server-side Table output (`as=Table`), cell for cell what the API server's printers produce."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from tui.domain.pods import epoch, human_duration, kubectl_status, restarts_text, since
from tui.drill import printers
from tui.drill.selectors import SelectorError, selector_from_spec

__all__ = ["human_duration", "to_table"]


# --- column definitions -----------------------------------------------------------------------

_DESCRIPTIONS = {
    "name": "Name must be unique within a namespace. Is required when creating resources, "
            "although some resources may allow a client to request the generation of an "
            "appropriate name automatically. Name is primarily intended for creation "
            "idempotence and configuration definition. Cannot be updated. More info: "
            "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
    "age": "CreationTimestamp is a timestamp representing the server time when this object was "
           "created. It is not guaranteed to be set in happens-before order across separate "
           "operations. Clients may not set this value. It is represented in RFC3339 form and "
           "is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
           "https://git.k8s.io/community/contributors/devel/sig-architecture/"
           "api-conventions.md#metadata",
    "containers": "Names of each container in the template.",
    "images": "Images referenced by each container in the template.",
}
_Column = tuple[str, str, str, int]  # name, type, description, priority


def _column(name: str, type_: str, description: str, priority: int = 0) -> _Column:
    return (name, type_, _DESCRIPTIONS.get(description, description), priority)


_NAME = _column("Name", "string", "name")
_AGE = _column("Age", "string", "age")
_TEMPLATE = [_column("Containers", "string", "containers", 1),
             _column("Images", "string", "images", 1)]

_COLUMNS: dict[str, list[_Column]] = {
    "Pod": [
        _NAME,
        _column("Ready", "string", "The aggregate readiness state of this pod for accepting "
                                   "traffic."),
        _column("Status", "string", "The aggregate status of the containers in this pod."),
        _column("Restarts", "string", "The number of times the containers in this pod have been "
                                      "restarted and when the last container in this pod has "
                                      "restarted."),
        _AGE,
        _column("IP", "string", "podIP address allocated to the pod. Routable at least within "
                                "the cluster. Empty if not yet allocated.", 1),
        _column("Node", "string", "NodeName indicates in which node this pod is scheduled.", 1),
        _column("Nominated Node", "string", "nominatedNodeName is set only when this pod "
                                            "preempts other pods on the node.", 1),
        _column("Readiness Gates", "string", "If specified, all readiness gates will be "
                                             "evaluated for pod readiness.", 1),
    ],
    "Deployment": [
        _NAME,
        _column("Ready", "string", "Number of the pod with ready state"),
        _column("Up-to-date", "string", "Total number of non-terminated pods targeted by this "
                                        "deployment that have the desired template spec."),
        _column("Available", "string", "Total number of available pods (ready for at least "
                                       "minReadySeconds) targeted by this deployment."),
        _AGE, *_TEMPLATE,
        _column("Selector", "string", "Label selector for pods. Existing ReplicaSets whose pods "
                                      "are selected by this will be the ones affected by this "
                                      "deployment.", 1),
    ],
    "ReplicaSet": [
        _NAME,
        _column("Desired", "integer", "Replicas is the number of desired replicas."),
        _column("Current", "integer", "Replicas is the most recently observed number of "
                                      "replicas."),
        _column("Ready", "integer", "The number of ready replicas for this replica set."),
        _AGE, *_TEMPLATE,
        _column("Selector", "string", "Selector is a label query over pods that should match "
                                      "the replica count.", 1),
    ],
    "Service": [
        _NAME,
        _column("Type", "string", "type determines how the Service is exposed."),
        _column("Cluster-IP", "string", "clusterIP is the IP address of the service and is "
                                        "usually assigned randomly."),
        _column("External-IP", "string", "externalIPs is a list of IP addresses for which nodes "
                                         "in the cluster will also accept traffic for this "
                                         "service."),
        _column("Port(s)", "string", "The list of ports that are exposed by this service."),
        _AGE,
        _column("Selector", "string", "Route service traffic to pods with label keys and values "
                                      "matching this selector.", 1),
    ],
    "ConfigMap": [
        _NAME,
        _column("Data", "string", "Data contains the configuration data."),
        _AGE,
    ],
    "Event": [
        _column("Last Seen", "string", "The time at which the most recent occurrence of this "
                                       "event was recorded."),
        _column("Type", "string", "Type of this event (Normal, Warning), new types could be "
                                  "added in the future"),
        _column("Reason", "string", "This should be a short, machine understandable string that "
                                    "gives the reason for the transition into the object's "
                                    "current status."),
        _column("Object", "string", "The object that this event is about."),
        _column("Subobject", "string", "If referring to a piece of an object instead of an "
                                       "entire object, this string should contain a valid "
                                       "JSON/Go field access statement.", 1),
        _column("Source", "string", "The component reporting this event. Should be a short "
                                    "machine understandable string.", 1),
        _column("Message", "string", "A human-readable description of the status of this "
                                     "operation."),
        _column("First Seen", "string", "The time at which the event was first recorded. (Time "
                                        "of server receipt is in TypeMeta.)", 1),
        _column("Count", "string", "The number of times this event has occurred.", 1),
        ("Name", "string", _DESCRIPTIONS["name"], 1),
    ],
    "Namespace": [
        _NAME,
        _column("Status", "string", "The status of the namespace"),
        _AGE,
    ],
}
_COLUMNS.update({kind: [_column(*column) for column in columns]
                 for kind, columns in printers.COLUMNS.items()})


def _definitions(kind: str) -> list[dict[str, Any]]:
    columns = _COLUMNS.get(kind, [_NAME, _AGE])
    return [{"name": name, "type": type_, "format": "name" if name == "Name" else "",
             "description": description, "priority": priority}
            for name, type_, description, priority in columns]


# --- row printers (the API server prints with Wide=true; kubectl hides priority-1 columns) ----

def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def _containers(template: dict[str, Any]) -> list[str]:
    """layoutContainerCells: comma-joined container names and images."""
    containers = (template.get("spec") or {}).get("containers") or []
    return [",".join(c.get("name", "") for c in containers),
            ",".join(c.get("image", "") for c in containers)]


def _format_labels(labels: dict[str, str] | None) -> str:
    """labels.FormatLabels: sorted k=v pairs, or "<none>"."""
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items())) or "<none>"


def _selector_string(spec: dict[str, Any] | None, empty: str, invalid: str) -> str:
    try:
        return str(selector_from_spec(spec)) or empty
    except SelectorError:
        return invalid


def _pod_row(pod: dict[str, Any], now: float) -> tuple[list[Any], list[dict[str, str]]]:
    """printPod: READY, STATUS, RESTARTS, AGE and the wide columns."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    printed = kubectl_status(pod)
    pod_ip = status.get("podIP") or ((status.get("podIPs") or [{}])[0]).get("ip")
    gates = spec.get("readinessGates") or []
    gates_cell = "<none>"
    if gates:
        conditions = {c.get("type"): c.get("status") for c in
                      reversed(status.get("conditions") or [])}
        passed = sum(1 for g in gates if conditions.get(g.get("conditionType")) == "True")
        gates_cell = f"{passed}/{len(gates)}"
    cells = [_meta(pod).get("name", ""), f"{printed.ready}/{printed.total}", printed.reason,
             restarts_text(printed, now), since(_meta(pod).get("creationTimestamp"), now),
             pod_ip or "<none>", spec.get("nodeName") or "<none>",
             status.get("nominatedNodeName") or "<none>", gates_cell]
    row_conditions = []
    phase = status.get("phase", "")
    if phase == "Succeeded":
        row_conditions = [{"type": "Completed", "status": "True", "reason": "Succeeded",
                           "message": "The pod has completed successfully."}]
    elif phase == "Failed":
        row_conditions = [{"type": "Completed", "status": "True", "reason": "Failed",
                           "message": "The pod failed."}]
    return cells, row_conditions


def _deployment_cells(obj: dict[str, Any], now: float) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return [_meta(obj).get("name", ""),
            f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
            status.get("updatedReplicas", 0), status.get("availableReplicas", 0),
            since(_meta(obj).get("creationTimestamp"), now),
            *_containers(spec.get("template") or {}),
            _selector_string(spec.get("selector"), "", "<invalid>")]


def _replicaset_cells(obj: dict[str, Any], now: float) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return [_meta(obj).get("name", ""), spec.get("replicas", 1), status.get("replicas", 0),
            status.get("readyReplicas", 0), since(_meta(obj).get("creationTimestamp"), now),
            *_containers(spec.get("template") or {}),
            _selector_string(spec.get("selector"), "<none>", "<error>")]


def _external_ip(spec: dict[str, Any], status: dict[str, Any], kind: str) -> str:
    """getServiceExternalIP (wide): explicit externalIPs, else load-balancer ingress."""
    external = spec.get("externalIPs") or []
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) or "<none>"
    if kind == "LoadBalancer":
        ingress = (status.get("loadBalancer") or {}).get("ingress") or []
        found = sorted({i.get("ip") or i.get("hostname") for i in ingress} - {None, ""})
        return ",".join(found + external) or "<pending>"
    if kind == "ExternalName":
        return spec.get("externalName", "")
    return "<unknown>"


def _service_cells(obj: dict[str, Any], now: float) -> list[Any]:
    spec = obj.get("spec") or {}
    kind = spec.get("type", "ClusterIP")
    cluster_ip = (spec.get("clusterIPs") or [spec.get("clusterIP")])[0] or "<none>"
    ports = []
    for port in spec.get("ports") or []:
        node_port = f":{port['nodePort']}" if port.get("nodePort") else ""
        ports.append(f"{port.get('port')}{node_port}/{port.get('protocol', 'TCP')}")
    return [_meta(obj).get("name", ""), kind, cluster_ip,
            _external_ip(spec, obj.get("status") or {}, kind), ",".join(ports) or "<none>",
            since(_meta(obj).get("creationTimestamp"), now),
            _format_labels(spec.get("selector"))]


def _configmap_cells(obj: dict[str, Any], now: float) -> list[Any]:
    count = len(obj.get("data") or {}) + len(obj.get("binaryData") or {})
    return [_meta(obj).get("name", ""), count, since(_meta(obj).get("creationTimestamp"), now)]


def _event_cells(event: dict[str, Any], now: float) -> list[Any]:
    """printEvent (wide): ages from lastTimestamp/firstTimestamp, eventTime or series."""
    first = since(event.get("firstTimestamp"), now)
    if epoch(event.get("firstTimestamp")) is None:
        first = since(event.get("eventTime"), now)
    last = first if epoch(event.get("lastTimestamp")) is None else since(
        event.get("lastTimestamp"), now)
    count = event.get("count") or 1  # singleton events of the new API have no count
    if event.get("series"):
        last = since(event["series"].get("lastObservedTime"), now)
        count = event["series"].get("count", 0)
    involved = event.get("involvedObject") or {}
    target = (involved.get("kind") or "").lower()
    if involved.get("name"):
        target += "/" + involved["name"]
    source = event.get("source") or {}
    component = source.get("component") or event.get("reportingComponent") or ""
    host = source.get("host") or event.get("reportingInstance") or ""
    return [last, event.get("type", ""), event.get("reason", ""), target,
            involved.get("fieldPath", ""), f"{component}, {host}" if host else component,
            (event.get("message") or "").strip(), first, count, _meta(event).get("name", "")]


def _namespace_cells(obj: dict[str, Any], now: float) -> list[Any]:
    return [_meta(obj).get("name", ""), (obj.get("status") or {}).get("phase", "Active"),
            since(_meta(obj).get("creationTimestamp"), now)]


def _generic_cells(obj: dict[str, Any], now: float) -> list[Any]:
    return [_meta(obj).get("name", ""), since(_meta(obj).get("creationTimestamp"), now)]


_PRINTERS: dict[str, Callable[[dict[str, Any], float], list[Any]]] = {
    "Deployment": _deployment_cells, "ReplicaSet": _replicaset_cells,
    "Service": _service_cells, "ConfigMap": _configmap_cells, "Event": _event_cells,
    "Namespace": _namespace_cells, **printers.PRINTERS,
}


def _row_object(obj: dict[str, Any], include_object: str) -> dict[str, Any]:
    if include_object == "Object":
        return copy.deepcopy(obj)
    return {"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata",
            "metadata": copy.deepcopy(_meta(obj))}


def to_table(kind: str, objects: list[dict[str, Any]], *, now: float, resource_version: str,
             include_object: str = "Metadata", continue_token: str = "",
             remaining_item_count: int | None = None, no_headers: bool = False) -> dict[str, Any]:
    """A meta.k8s.io/v1 Table of `objects` (all of `kind`), as the API server renders it."""
    if include_object not in ("None", "Metadata", "Object", ""):
        # The API server answers 400 with exactly this message.
        raise ValueError(f'unrecognized includeObject value: "{include_object}"')
    rows = []
    for obj in objects:
        conditions: list[dict[str, str]] = []
        if kind == "Pod":
            cells, conditions = _pod_row(obj, now)
        else:
            cells = _PRINTERS.get(kind, _generic_cells)(obj, now)
        row: dict[str, Any] = {"cells": cells}
        if conditions:
            row["conditions"] = conditions
        if include_object != "None":
            row["object"] = _row_object(obj, include_object)
        rows.append(row)
    metadata: dict[str, Any] = {"resourceVersion": resource_version}
    if continue_token:
        metadata["continue"] = continue_token
    if remaining_item_count is not None:
        metadata["remainingItemCount"] = remaining_item_count
    table: dict[str, Any] = {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
                             "metadata": metadata}
    if not no_headers:
        table["columnDefinitions"] = _definitions(kind)
    table["rows"] = rows
    return table
