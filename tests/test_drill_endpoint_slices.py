"""The endpoints controllers on the store: slices of at most 100, Endpoints capped at 1,000,
pods moving between ready, not ready and terminating, and Services coming and going; and the
node's kubelet heartbeats."""

from __future__ import annotations

from typing import Any

from tui.drill.clock import DrillClock, rfc3339
from tui.drill.endpointslices import (
    MAX_ENDPOINTS,
    MAX_PER_SLICE,
    OVER_CAPACITY,
    SERVICE_NAME_LABEL,
    EndpointsController,
)
from tui.drill.nodes import LEASE_NAMESPACE, NODE_NAME, Nodes
from tui.drill.store import Store

NS = "shop"


def _pod(n: int, ready: bool = True, app: str = "web") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"{app}-{n:05d}", "namespace": NS, "labels": {"app": app}},
            "spec": {"nodeName": "node-1",
                     "containers": [{"name": "c", "ports": [{"name": "http",
                                                              "containerPort": 8080}]}]},
            "status": {"phase": "Running", "podIP": f"10.0.{n // 250}.{n % 250 + 1}",
                       "conditions": [{"type": "Ready", "status": str(ready)}]}}


def _service(selector: dict[str, str], target: Any = "http") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": NS},
            "spec": {"selector": selector, "ports": [{"name": "http", "port": 80,
                                                      "targetPort": target}]}}


def _setup(pods: int) -> tuple[Store, EndpointsController]:
    store = Store(DrillClock())
    controller = EndpointsController(store)
    for n in range(pods):
        store.create("pods", _pod(n))
    store.create("services", _service({"app": "web"}))
    controller.sync(now=0)
    return store, controller


def _slices(store: Store) -> list[dict[str, Any]]:
    return [s for s in store.objects("endpointslices", NS)
            if s["metadata"]["labels"][SERVICE_NAME_LABEL] == "web"]


def test_slices_hold_at_most_100_and_endpoints_at_most_1000() -> None:
    store, _ = _setup(1050)
    slices = _slices(store)
    assert len(slices) == 11
    assert all(len(s["endpoints"]) <= MAX_PER_SLICE for s in slices)
    names = [e["targetRef"]["name"] for s in slices for e in s["endpoints"]]
    assert sorted(names) == [f"web-{n:05d}" for n in range(1050)]
    assert slices[0]["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    endpoints = store.require("endpoints", NS, "web").obj
    assert endpoints["metadata"]["annotations"] == {OVER_CAPACITY: "truncated"}
    assert len(endpoints["subsets"][0]["addresses"]) == MAX_ENDPOINTS


def test_a_pod_change_rewrites_its_slice_only() -> None:
    store, controller = _setup(250)
    before = {s["metadata"]["name"]: s["metadata"]["resourceVersion"] for s in _slices(store)}
    pod = store.require("pods", NS, "web-00007").obj
    store.replace("pods", {**pod, "status": {**pod["status"], "conditions": [
        {"type": "Ready", "status": "False"}]}})
    controller.sync(now=10)
    after = {s["metadata"]["name"]: s["metadata"]["resourceVersion"] for s in _slices(store)}
    changed = [name for name in after if after[name] != before[name]]
    assert len(changed) == 1
    (slice_,) = [s for s in _slices(store) if s["metadata"]["name"] == changed[0]]
    (entry,) = [e for e in slice_["endpoints"] if e["targetRef"]["name"] == "web-00007"]
    assert entry["conditions"] == {"ready": False, "serving": False, "terminating": False}
    subset = store.require("endpoints", NS, "web").obj["subsets"][0]
    assert [a["targetRef"]["name"] for a in subset["notReadyAddresses"]] == ["web-00007"]
    assert len(subset["addresses"]) == 249


def test_terminating_pods_leave_endpoints_but_stay_in_slices_as_terminating() -> None:
    store, controller = _setup(3)
    pod = store.require("pods", NS, "web-00001").obj
    store.replace("pods", {**pod, "metadata": {**pod["metadata"],
                                               "deletionTimestamp": "2026-11-30T00:00:00Z"}})
    controller.sync(now=10)
    addresses = store.require("endpoints", NS, "web").obj["subsets"][0]["addresses"]
    assert "web-00001" not in {a["targetRef"]["name"] for a in addresses}
    (slice_,) = _slices(store)
    (entry,) = [e for e in slice_["endpoints"] if e["targetRef"]["name"] == "web-00001"]
    assert entry["conditions"] == {"ready": False, "serving": True, "terminating": True}


def test_selector_switch_and_service_deletion() -> None:
    store, controller = _setup(3)
    for n in range(3):
        store.create("pods", _pod(100 + n, app="blue"))
    service = store.require("services", NS, "web").obj
    store.replace("services", {**service, "spec": {**service["spec"],
                                                   "selector": {"app": "blue"}}})
    controller.sync(now=10)
    addresses = store.require("endpoints", NS, "web").obj["subsets"][0]["addresses"]
    assert sorted(a["targetRef"]["name"] for a in addresses) == [
        "blue-00100", "blue-00101", "blue-00102"]
    (slice_,) = _slices(store)
    assert {e["targetRef"]["name"] for e in slice_["endpoints"]} == {
        "blue-00100", "blue-00101", "blue-00102"}
    store.delete("services", NS, "web")
    controller.sync(now=20)
    assert store.get("endpoints", NS, "web") is None and _slices(store) == []


def test_an_idle_sync_writes_nothing() -> None:
    store, controller = _setup(300)
    version = store.resource_version
    controller.sync(now=10)
    assert store.resource_version == version


def test_the_node_renews_its_lease_and_reports_its_status() -> None:
    store = Store(DrillClock())
    nodes = Nodes(store)
    nodes.register(born=1_000_000.0, now=2_000_000.0)
    lease = store.require("leases", LEASE_NAMESPACE, NODE_NAME).obj
    assert lease["spec"]["holderIdentity"] == NODE_NAME
    version = store.resource_version
    nodes.tick(2_000_005.0)
    assert store.resource_version == version  # nothing due
    nodes.tick(2_000_010.0)
    renewed = store.require("leases", LEASE_NAMESPACE, NODE_NAME).obj["spec"]["renewTime"]
    assert renewed.startswith(rfc3339(2_000_010.0)[:-1])
    nodes.tick(2_000_300.0)
    conditions = store.require("nodes", "", NODE_NAME).obj["status"]["conditions"]
    assert {c["lastHeartbeatTime"] for c in conditions} == {rfc3339(2_000_300.0)}
    assert {c["lastTransitionTime"] for c in conditions} == {rfc3339(1_000_000.0)}


def test_the_official_client_reads_the_new_kinds_and_reviews(drill) -> None:
    from kubernetes import client, config  # strict (typed) deserialisation of every answer

    _, info = drill("blue-green")
    api = config.new_client_from_config(info.kubeconfig)
    core = client.CoreV1Api(api)
    endpoints = core.read_namespaced_endpoints("checkout", "production")
    assert all(a.target_ref.name.startswith("checkout-green-")
               for a in endpoints.subsets[0].addresses)
    assert [n.metadata.name for n in core.list_node().items] == [NODE_NAME]
    slices = client.DiscoveryV1Api(api).list_namespaced_endpoint_slice("production").items
    assert len(slices) == 3 and all(s.address_type == "IPv4" for s in slices)
    ingress = client.NetworkingV1Api(api).read_namespaced_ingress("checkout", "production")
    assert ingress.spec.rules[0].http.paths[0].backend.service.name == "checkout"
    lease = client.CoordinationV1Api(api).read_namespaced_lease(NODE_NAME, LEASE_NAMESPACE)
    assert lease.spec.holder_identity == NODE_NAME
    who = client.AuthenticationV1Api(api).create_self_subject_review(
        client.V1SelfSubjectReview())
    assert who.status.user_info.username == "drill-user"
    rules = client.AuthorizationV1Api(api).create_self_subject_rules_review(
        client.V1SelfSubjectRulesReview(
            spec=client.V1SelfSubjectRulesReviewSpec(namespace="production")))
    assert rules.status.resource_rules[0].verbs == ["*"]
