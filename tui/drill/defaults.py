"""API defaulting on store, and template comparison the way the deployment controller does it.

Defaults matter: kubectl's `rollout undo` copies a ReplicaSet's template back into the
Deployment; if stored templates were not defaulted alike, the controller would not recognise
the old ReplicaSet and would create a new one instead of renumbering the old revision.
"""

from __future__ import annotations

import base64
import copy
import json
import math
from typing import Any

HASH_LABEL = "pod-template-hash"
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def default_container(container: dict[str, Any]) -> None:
    """Fill a container's defaults in place."""
    image = container.get("image", "")
    tag = image.rsplit("/", 1)[-1]
    latest = ":" not in tag or tag.endswith(":latest")
    container.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
    container.setdefault("resources", {})
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    for port in container.get("ports") or []:
        port.setdefault("protocol", "TCP")
    for env in container.get("env") or []:
        if "value" in env and env["value"] is None:
            del env["value"]
    for probe_name in ("readinessProbe", "livenessProbe", "startupProbe"):
        probe = container.get(probe_name)
        if isinstance(probe, dict):
            probe.setdefault("timeoutSeconds", 1)
            probe.setdefault("periodSeconds", 10)
            probe.setdefault("successThreshold", 1)
            probe.setdefault("failureThreshold", 3)
            if isinstance(probe.get("httpGet"), dict):
                probe["httpGet"].setdefault("scheme", "HTTP")


def default_pod_spec(spec: dict[str, Any]) -> None:
    """Fill a pod spec's defaults in place."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for container in spec.get("containers") or []:
        default_container(container)
    for container in spec.get("initContainers") or []:
        default_container(container)


def _percent_or_int(value: Any, total: int, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        scaled = float(value[:-1]) * total / 100
        return math.ceil(scaled) if round_up else math.floor(scaled)
    return int(value)


def default_deployment(obj: dict[str, Any]) -> None:
    """Fill a Deployment's defaults in place."""
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxSurge", "25%")
        rolling.setdefault("maxUnavailable", "25%")
    template = spec.setdefault("template", {})
    template.setdefault("metadata", {})
    default_pod_spec(template.setdefault("spec", {}))
    obj.setdefault("status", {})


def default_replicaset(obj: dict[str, Any]) -> None:
    """Fill a ReplicaSet's defaults in place."""
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    template = spec.setdefault("template", {})
    template.setdefault("metadata", {})
    default_pod_spec(template.setdefault("spec", {}))
    obj.setdefault("status", {"replicas": 0})
    obj["status"].setdefault("replicas", 0)


def default_service(obj: dict[str, Any], cluster_ip: str) -> None:
    """Fill a Service's defaults in place."""
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec.get("clusterIP") in (None, ""):
        spec["clusterIP"] = cluster_ip
    spec.setdefault("clusterIPs", [spec["clusterIP"]])
    spec.setdefault("ipFamilies", ["IPv4"])
    spec.setdefault("ipFamilyPolicy", "SingleStack")
    spec.setdefault("internalTrafficPolicy", "Cluster")
    for port in spec.get("ports") or []:
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port.get("port"))
    obj.setdefault("status", {"loadBalancer": {}})


def default_pod(obj: dict[str, Any]) -> None:
    """Fill a Pod's defaults in place."""
    default_pod_spec(obj.setdefault("spec", {}))
    obj.setdefault("status", {"phase": "Pending"})


def default_secret(obj: dict[str, Any]) -> None:
    """Fill a Secret's defaults in place: `stringData` is written into `data`, base64-encoded."""
    obj.setdefault("type", "Opaque")
    string_data = obj.pop("stringData", None) or {}
    if string_data:
        data = obj.setdefault("data", {})
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()


def apply_defaults(resource: str, obj: dict[str, Any], cluster_ip: str = "10.96.0.10") -> None:
    """Default any stored kind in place."""
    obj.setdefault("metadata", {})
    if resource == "deployments":
        default_deployment(obj)
    elif resource == "replicasets":
        default_replicaset(obj)
    elif resource == "services":
        default_service(obj, cluster_ip)
    elif resource == "pods":
        default_pod(obj)
    elif resource == "secrets":
        default_secret(obj)
    elif resource == "ingresses":
        obj.setdefault("status", {"loadBalancer": {}})
    elif resource == "namespaces":
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        obj.setdefault("status", {"phase": "Active"})


def _prune(value: Any) -> Any:
    # Null and empty values compare equal to absent ones, as in the controller's comparison.
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, {}, [], "")}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def comparable_template(template: dict[str, Any]) -> Any:
    """A pod template without `pod-template-hash` and without empty values."""
    clean = copy.deepcopy(template)
    labels = clean.get("metadata", {}).get("labels")
    if labels:
        labels.pop(HASH_LABEL, None)
    return _prune(clean)


def template_hash(template: dict[str, Any], collision_count: int = 0) -> str:
    """A stable hash of a pod template in the API server's safe alphabet."""
    data = json.dumps(comparable_template(template), sort_keys=True).encode()
    value = 0x811C9DC5
    for byte in data + str(collision_count).encode():
        value ^= byte
        value = (value * 0x01000193) & 0xFFFFFFFF
    return "".join(SAFE_ALPHABET[ord(ch) % len(SAFE_ALPHABET)] for ch in str(value))


def surge_and_unavailable(deployment: dict[str, Any]) -> tuple[int, int]:
    """maxSurge (rounded up) and maxUnavailable (rounded down); never both zero."""
    spec = deployment["spec"]
    replicas = spec.get("replicas", 1)
    strategy = spec.get("strategy", {})
    if strategy.get("type") == "Recreate":
        return 0, replicas
    rolling = strategy.get("rollingUpdate", {})
    surge = _percent_or_int(rolling.get("maxSurge", "25%"), replicas, round_up=True)
    unavailable = _percent_or_int(rolling.get("maxUnavailable", "25%"), replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable
