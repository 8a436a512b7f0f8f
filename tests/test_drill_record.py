"""The drill's record of changes, over real HTTP: who changed what (kubectl in another process,
the product's Kubernetes client, the product's HTTP actions), and what is left out."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from conftest import drill_auth

from tui.adapters.drill_link import DrillLink
from tui.adapters.kube import Kube
from tui.adapters.probes import http_request
from tui.drill.record import ChangeRecord, describe_path


def _record(info: Any) -> dict[str, Any]:
    answer = httpx.get(f"{info.api}/drill/record", headers=drill_auth(info), verify=False)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_kubectl_changes_are_recorded_with_kubectl_as_user_agent(drill, kubectl) -> None:
    _cluster, info = drill("bad-release")
    assert kubectl(info, "get", "pods").returncode == 0  # a read: not a change
    undo = kubectl(info, "rollout", "undo", "deployment/checkout")
    assert undo.returncode == 0, undo.stderr
    patch = kubectl(info, "patch", "deployment/checkout", "-p", '{"spec":{"replicas":4}}',
                    "--dry-run=server")
    assert patch.returncode == 0, patch.stderr

    record = _record(info)

    undone, dry = record["changes"]
    assert undone["method"] == "PATCH" and undone["user_agent"].startswith("kubectl/")
    assert (undone["kind"], undone["namespace"], undone["name"]) == \
        ("deployments", "production", "checkout")
    assert undone["status"] == 200 and undone["dry_run"] is False
    assert dry["dry_run"] is True
    assert record["deployments"]["production/checkout"]["revision"] == 4
    assert record["deployments"]["production/checkout"]["version"] == "2.3.1"
    assert record["fetched_at"] > undone["at"]


def test_the_products_clients_are_recorded_as_rollback_tui(drill) -> None:
    _cluster, info = drill("bad-flag")
    with Kube.connect(info.kubeconfig) as kube:
        kube.scale("checkout", 2)
        record = DrillLink(kube.api_client).get("/drill/record")
    scaled = record["changes"][-1]
    assert scaled["user_agent"].startswith("rollback-tui")
    assert (scaled["kind"], scaled["name"], scaled["subresource"]) == \
        ("deployments", "checkout", "scale")

    url = info.extra["params"]["flag_api_url"] + "/new-checkout"
    token = info.extra["params"]["flag_api_token"]
    result = asyncio.run(http_request("PATCH", url, json={"enabled": False},
                                      headers={"Authorization": f"Bearer {token}"}))
    assert result.ok, result.detail
    flag = _record(info)["changes"][-1]
    assert flag["user_agent"] == "rollback-tui/0.1.0"
    assert (flag["kind"], flag["namespace"], flag["name"]) == \
        ("feature-flags", "production", "new-checkout")


def test_the_drills_own_endpoints_and_reads_are_not_changes(drill) -> None:
    _cluster, info = drill("bad-release")
    auth = drill_auth(info)
    httpx.post(f"{info.api}/drill/faults", json=["metrics-down"], headers=auth, verify=False)
    httpx.get(f"{info.api}/api/v1/namespaces/production/pods", headers=auth, verify=False)
    denied = httpx.delete(f"{info.api}/api/v1/namespaces/production/pods/nope",
                          headers={**auth, "User-Agent": "curl/8"}, verify=False)
    changes = _record(info)["changes"]
    assert [(c["method"], c["status"], c["user_agent"]) for c in changes] == \
        [("DELETE", denied.status_code, "curl/8")]
    assert denied.status_code == 404


def test_the_scenario_endpoint_says_what_the_drill_plays(drill) -> None:
    cluster, info = drill("bad-release", speed=20)
    answer = httpx.get(f"{info.api}/drill/scenario", headers=drill_auth(info), verify=False)
    data = answer.json()
    assert data["scenario"] == "bad-release" and data["speed"] == 20
    # The truth with each target's image and version filled in from its revision.
    assert data["truth"] == cluster.scenario.truth
    assert data["truth"]["targets"][0]["image"].endswith(":2.3.1")
    assert data["release_at"] < data["drill_started_at"]


def test_the_record_keeps_the_newest_changes_only() -> None:
    record = ChangeRecord(limit=3)
    for number in range(5):
        record.observe("POST", f"/api/v1/namespaces/ns/configmaps/c{number}", {}, {}, 201)
    assert [c["name"] for c in record.changes()] == ["c2", "c3", "c4"]
    assert record.dropped == 2


def test_paths_name_kind_namespace_name_and_subresource() -> None:
    assert describe_path("/api/v1/namespaces/prod/pods/p1/eviction") == \
        ("pods", "prod", "p1", "eviction")
    assert describe_path("/apis/apps/v1/namespaces/prod/deployments") == \
        ("deployments", "prod", "", "")
    assert describe_path("/api/v1/namespaces/prod") == ("namespaces", "", "prod", "")
    assert describe_path("/apps/checkout/admin/feature-flags/x", lambda s: "prod") == \
        ("feature-flags", "prod", "x", "")
