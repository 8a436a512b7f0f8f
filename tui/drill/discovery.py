"""Discovery documents: /version, /api, /apis and the per-group resource lists."""

from __future__ import annotations

from typing import Any

from tui.drill.resources import ALL_CATEGORY, by_group

GROUPS = (("apps", "v1"), ("authentication.k8s.io", "v1"), ("authorization.k8s.io", "v1"),
          ("coordination.k8s.io", "v1"), ("discovery.k8s.io", "v1"), ("networking.k8s.io", "v1"))
# Create-only review resources (answered, never stored): group -> (name, kind).
REVIEWS: dict[str, tuple[tuple[str, str], ...]] = {
    "authentication.k8s.io": (("selfsubjectreviews", "SelfSubjectReview"),),
    "authorization.k8s.io": (("selfsubjectaccessreviews", "SelfSubjectAccessReview"),
                             ("selfsubjectrulesreviews", "SelfSubjectRulesReview")),
}


def version_info() -> dict[str, str]:
    """What `GET /version` answers (kubectl dispatchers pick a client minor from it)."""
    return {"major": "1", "minor": "32", "gitVersion": "v1.32.0-drill",
            "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
            "buildDate": "2026-11-30T00:00:00Z", "goVersion": "go1.23.0", "compiler": "gc",
            "platform": "linux/amd64"}


def api_versions(server_address: str) -> dict[str, Any]:
    """`GET /api`."""
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                            "serverAddress": server_address}]}


def api_group_list() -> dict[str, Any]:
    """`GET /apis`."""
    groups = []
    for group, version in GROUPS:
        gv = {"groupVersion": f"{group}/{version}", "version": version}
        groups.append({"name": group, "versions": [gv], "preferredVersion": gv})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def _subresource(resource: Any, sub: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": f"{resource.name}/{sub}", "singularName": "",
                             "namespaced": resource.namespaced, "kind": resource.kind,
                             "verbs": ["get", "patch", "update"]}
    if sub == "scale":
        entry.update(group="autoscaling", version="v1", kind="Scale")
    elif sub == "log":
        entry.update(kind="Pod", verbs=["get"])
    return entry


def resource_list(group: str, version: str) -> dict[str, Any] | None:
    """`GET /api/v1` or `/apis/GROUP/VERSION`, or None for an unknown group."""
    group_version = f"{group}/{version}" if group else version
    if group in REVIEWS and version == "v1":
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
                "resources": [{"name": name, "singularName": kind.lower(), "namespaced": False,
                               "kind": kind, "verbs": ["create"]}
                              for name, kind in REVIEWS[group]]}
    served = by_group(group, version)
    if not served:
        return None
    resources = []
    for res in served:
        entry: dict[str, Any] = {"name": res.name, "singularName": res.singular,
                                 "namespaced": res.namespaced, "kind": res.kind,
                                 "verbs": list(res.verbs), "shortNames": list(res.short_names),
                                 "storageVersionHash": res.kind.lower()[:11]}
        if res.name in ALL_CATEGORY:
            entry["categories"] = ["all"]
        resources.append(entry)
        resources.extend(_subresource(res, sub) for sub in res.subresources)
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
            "resources": resources}
