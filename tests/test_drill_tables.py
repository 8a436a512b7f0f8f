"""Server-side Tables of the drill cluster: the columns and cells a real API server sends."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tui.drill.tables import human_duration, to_table

NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC).timestamp()
MINUTE, HOUR, DAY, YEAR = 60, 3600, 86400, 365 * 86400
MS = 0.001


def ago(seconds: float) -> str:
    """An RFC 3339 timestamp `seconds` before NOW."""
    return datetime.fromtimestamp(NOW - seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cells(kind: str, obj: dict[str, Any]) -> list[Any]:
    """The cells of the one row `to_table` prints for `obj`."""
    (row,) = to_table(kind, [obj], now=NOW, resource_version="1")["rows"]
    return row["cells"]


def columns(kind: str) -> list[tuple[str, str, int]]:
    return [(c["name"], c["type"], c["priority"])
            for c in to_table(kind, [], now=NOW, resource_version="1")["columnDefinitions"]]


# --- human_duration: the cases of apimachinery's duration_test.go -------------------------------

@pytest.mark.parametrize(("seconds", "expected"), [
    (1, "1s"), (70, "70s"), (190, "3m10s"), (70 * MINUTE, "70m"), (47 * HOUR, "47h"),
    (49 * HOUR, "2d1h"), ((8 * 24 + 2) * HOUR, "8d"), (367 * DAY, "367d"),
    ((365 * 2 * 24 + 25) * HOUR, "2y1d"), ((365 * 8 * 24 + 2) * HOUR, "8y"),
    # TestHumanDurationBoundaries
    (-2, "<invalid>"), (-2 + 1e-9, "0s"), (0, "0s"), (1 - MS, "0s"),
    (2 * MINUTE - MS, "119s"), (2 * MINUTE, "2m"), (2 * MINUTE + 1, "2m1s"),
    (10 * MINUTE - MS, "9m59s"), (10 * MINUTE, "10m"), (10 * MINUTE + 1, "10m"),
    (3 * HOUR - MS, "179m"), (3 * HOUR, "3h"), (3 * HOUR + MINUTE, "3h1m"),
    (8 * HOUR - MS, "7h59m"), (8 * HOUR, "8h"), (8 * HOUR + 59 * MINUTE, "8h"),
    (2 * DAY - MS, "47h"), (2 * DAY, "2d"), (2 * DAY + HOUR, "2d1h"),
    (8 * DAY - MS, "7d23h"), (8 * DAY, "8d"), (8 * DAY + 23 * HOUR, "8d"),
    (2 * YEAR - MS, "729d"), (2 * YEAR, "2y"), (2 * YEAR + 23 * HOUR, "2y"),
    (2 * YEAR + 23 * HOUR + 59 * MINUTE, "2y"), (2 * YEAR + DAY - MS, "2y"),
    (2 * YEAR + DAY, "2y1d"), (3 * YEAR, "3y"), (4 * YEAR, "4y"), (5 * YEAR, "5y"),
    (6 * YEAR, "6y"), (7 * YEAR, "7y"), (8 * YEAR - MS, "7y364d"), (8 * YEAR, "8y"),
    (8 * YEAR + 364 * DAY, "8y"), (9 * YEAR, "9y"),
    # the brief's own examples
    (5 * MINUTE, "5m"), (5 * MINUTE + 3, "5m3s"),
])
def test_human_duration_matches_apimachinery(seconds: float, expected: str) -> None:
    assert human_duration(seconds) == expected


# --- pods ---------------------------------------------------------------------------------------

def pod(phase: str = "Running", statuses: list[dict] | None = None, *, containers: int = 1,
        **extra: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "checkout-7d4b9-x2x8q", "namespace": "shop",
                     "creationTimestamp": ago(5 * MINUTE), "uid": "p-1",
                     "labels": {"app": "checkout"}},
        "spec": {"containers": [{"name": f"c{i}", "image": "shop/checkout:1.4"}
                                for i in range(containers)]},
        "status": {"phase": phase}}
    if statuses is not None:
        obj["status"]["containerStatuses"] = statuses
    for key, value in extra.items():
        section, field = key.split("__")
        obj[section][field] = value
    return obj


def running(ready: bool = True, restarts: int = 0) -> dict[str, Any]:
    return {"name": "c0", "ready": ready, "restartCount": restarts,
            "state": {"running": {"startedAt": ago(4 * MINUTE)}}}


def waiting(reason: str, restarts: int = 0, finished: str | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {"name": "c0", "ready": False, "restartCount": restarts,
                              "state": {"waiting": {"reason": reason}}}
    if finished:
        status["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error",
                                              "finishedAt": finished}}
    return status


def test_running_pod() -> None:
    assert cells("Pod", pod("Running", [running()])) == [
        "checkout-7d4b9-x2x8q", "1/1", "Running", "0", "5m", "<none>", "<none>", "<none>",
        "<none>"]


def test_pending_pod_without_statuses() -> None:
    assert cells("Pod", pod("Pending"))[1:4] == ["0/1", "Pending", "0"]


def test_container_creating() -> None:
    assert cells("Pod", pod("Pending", [waiting("ContainerCreating")]))[1:4] == [
        "0/1", "ContainerCreating", "0"]


def test_crash_loop_back_off_shows_restarts_and_when() -> None:
    row = cells("Pod", pod("Running", [waiting("CrashLoopBackOff", 5, ago(5 * MINUTE + 3))]))
    assert row[1:4] == ["0/1", "CrashLoopBackOff", "5 (5m3s ago)"]


def test_restarts_without_a_known_termination_time_are_a_bare_number() -> None:
    assert cells("Pod", pod("Running", [running(restarts=3)]))[3] == "3"


def test_image_pull_back_off() -> None:
    assert cells("Pod", pod("Pending", [waiting("ImagePullBackOff")]))[2] == "ImagePullBackOff"


def test_terminating_pod() -> None:
    obj = pod("Running", [running()])
    obj["metadata"]["deletionTimestamp"] = ago(1)
    assert cells("Pod", obj)[2] == "Terminating"


def test_deleted_pod_on_a_lost_node_is_unknown() -> None:
    obj = pod("Running", [running()], status__reason="NodeLost")
    obj["metadata"]["deletionTimestamp"] = ago(1)
    assert cells("Pod", obj)[2] == "Unknown"


def completed() -> dict[str, Any]:
    return pod("Succeeded", [{"name": "c0", "ready": False, "restartCount": 0,
                              "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}])


def test_completed_pod_and_its_row_condition() -> None:
    (row,) = to_table("Pod", [completed()], now=NOW, resource_version="1")["rows"]
    assert row["cells"][1:4] == ["0/1", "Completed", "0"]
    assert row["conditions"] == [{"type": "Completed", "status": "True", "reason": "Succeeded",
                                  "message": "The pod has completed successfully."}]


def test_terminal_pods_are_not_terminating() -> None:
    obj = completed()
    obj["metadata"]["deletionTimestamp"] = ago(1)
    assert cells("Pod", obj)[2] == "Completed"


def test_failed_pod_row_condition_and_exit_code() -> None:
    obj = pod("Failed", [{"name": "c0", "ready": False, "restartCount": 0,
                          "state": {"terminated": {"exitCode": 137}}}])
    (row,) = to_table("Pod", [obj], now=NOW, resource_version="1")["rows"]
    assert row["cells"][2] == "ExitCode:137"
    assert row["conditions"][0]["reason"] == "Failed"


def test_terminated_by_signal() -> None:
    obj = pod("Failed", [{"name": "c0", "state": {"terminated": {"exitCode": 0, "signal": 9}}}])
    assert cells("Pod", obj)[2] == "Signal:9"


def test_running_pod_only_rows_with_completed_phase_have_conditions() -> None:
    (row,) = to_table("Pod", [pod("Running", [running()])], now=NOW,
                      resource_version="1")["rows"]
    assert "conditions" not in row


def test_first_container_with_a_problem_decides_status() -> None:
    statuses = [running(), {**waiting("CrashLoopBackOff", 2), "name": "c1"}]
    assert cells("Pod", pod("Running", statuses, containers=2))[1:4] == [
        "1/2", "CrashLoopBackOff", "2"]


def test_completed_container_next_to_a_running_one() -> None:
    done = {"name": "c1", "ready": False, "restartCount": 0,
            "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}
    not_ready = pod("Running", [running(), done], containers=2)
    assert cells("Pod", not_ready)[2] == "NotReady"
    ready = pod("Running", [running(), done], containers=2,
                status__conditions=[{"type": "Ready", "status": "True"}])
    assert cells("Pod", ready)[2] == "Running"


def with_init(init_statuses: list[dict], **extra: Any) -> dict[str, Any]:
    obj = pod("Pending", [waiting("PodInitializing")], **extra)
    obj["spec"]["initContainers"] = [{"name": "migrate", "image": "m"},
                                     {"name": "warm", "image": "w"}]
    obj["status"]["initContainerStatuses"] = init_statuses
    return obj


@pytest.mark.parametrize(("init_statuses", "status"), [
    ([{"name": "migrate", "state": {"waiting": {"reason": "PodInitializing"}}}], "Init:0/2"),
    ([{"name": "migrate", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
      {"name": "warm", "state": {"running": {}}}], "Init:1/2"),
    ([{"name": "migrate", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}],
     "Init:CrashLoopBackOff"),
    ([{"name": "migrate", "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}],
     "Init:Error"),
    ([{"name": "migrate", "state": {"terminated": {"exitCode": 2}}}], "Init:ExitCode:2"),
    ([{"name": "migrate", "state": {"terminated": {"exitCode": 2, "signal": 15}}}],
     "Init:Signal:15"),
])
def test_init_container_states(init_statuses: list[dict], status: str) -> None:
    assert cells("Pod", with_init(init_statuses))[2] == status


def test_init_restarts_count_while_initializing() -> None:
    obj = with_init([{"name": "migrate", "restartCount": 4,
                      "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                      "lastState": {"terminated": {"finishedAt": ago(90)}}}])
    assert cells("Pod", obj)[3] == "4 (90s ago)"


def test_sidecar_init_containers_count_as_containers() -> None:
    obj = pod("Running", [running()],
              status__initContainerStatuses=[{"name": "proxy", "ready": True, "started": True,
                                              "restartCount": 1, "state": {"running": {}}}])
    obj["spec"]["initContainers"] = [{"name": "proxy", "image": "p", "restartPolicy": "Always"}]
    assert cells("Pod", obj)[1:4] == ["2/2", "Running", "1"]


def test_scheduling_gated() -> None:
    obj = pod("Pending", status__conditions=[{"type": "PodScheduled", "status": "False",
                                              "reason": "SchedulingGated"}])
    assert cells("Pod", obj)[2] == "SchedulingGated"


def test_wide_pod_cells() -> None:
    obj = pod("Running", [running()], spec__nodeName="drill-node-1",
              spec__readinessGates=[{"conditionType": "lb/ready"}, {"conditionType": "x"}],
              status__podIPs=[{"ip": "10.244.0.12"}],
              status__nominatedNodeName="drill-node-2",
              status__conditions=[{"type": "lb/ready", "status": "True"}])
    assert cells("Pod", obj)[5:] == ["10.244.0.12", "drill-node-1", "drill-node-2", "1/2"]


# --- the other kinds ----------------------------------------------------------------------------

DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "checkout", "namespace": "shop", "creationTimestamp": ago(3 * DAY)},
    "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "checkout"}},
             "template": {"spec": {"containers": [
                 {"name": "app", "image": "shop/checkout:1.4"},
                 {"name": "proxy", "image": "envoy:1.30"}]}}},
    "status": {"replicas": 4, "updatedReplicas": 1, "readyReplicas": 2, "availableReplicas": 2}}


def test_deployment_cells() -> None:
    assert cells("Deployment", DEPLOYMENT) == [
        "checkout", "2/3", 1, 2, "3d", "app,proxy", "shop/checkout:1.4,envoy:1.30",
        "app=checkout"]


def test_new_deployment_without_status() -> None:
    obj = copy.deepcopy(DEPLOYMENT)
    del obj["status"]
    obj["spec"]["selector"] = {}
    assert cells("Deployment", obj)[1:4] == ["0/3", 0, 0]
    assert cells("Deployment", obj)[7] == ""


def replicaset(selector: dict | None) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": "checkout-7d4b9", "creationTimestamp": ago(90 * MINUTE)},
            "spec": {"replicas": 3, "selector": selector,
                     "template": {"spec": {"containers": [{"name": "app", "image": "a:1"}]}}},
            "status": {"replicas": 3, "readyReplicas": 1}}


def test_replicaset_cells() -> None:
    selector = {"matchLabels": {"app": "checkout", "pod-template-hash": "7d4b9"}}
    assert cells("ReplicaSet", replicaset(selector)) == [
        "checkout-7d4b9", 3, 3, 1, "90m", "app", "a:1", "app=checkout,pod-template-hash=7d4b9"]
    assert cells("ReplicaSet", replicaset({}))[7] == "<none>"
    bad = {"matchExpressions": [{"key": "a", "operator": "Bogus"}]}
    assert cells("ReplicaSet", replicaset(bad))[7] == "<error>"


def service(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "checkout", "creationTimestamp": ago(4 * HOUR)},
            "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.20", "clusterIPs": ["10.96.0.20"],
                     "ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}],
                     "selector": {"app": "checkout", "tier": "web"}, **spec}}


def test_cluster_ip_service() -> None:
    assert cells("Service", service()) == [
        "checkout", "ClusterIP", "10.96.0.20", "<none>", "80/TCP", "4h", "app=checkout,tier=web"]


def test_node_port_service_lists_node_ports() -> None:
    obj = service(type="NodePort", ports=[
        {"port": 80, "nodePort": 30080, "protocol": "TCP"},
        {"port": 53, "nodePort": 30053, "protocol": "UDP"}])
    assert cells("Service", obj)[1:5] == ["NodePort", "10.96.0.20", "<none>",
                                          "80:30080/TCP,53:30053/UDP"]


def test_service_edge_cases() -> None:
    obj = service(type="LoadBalancer", ports=[], selector={}, clusterIPs=[], clusterIP="None")
    assert cells("Service", obj)[1:] == ["LoadBalancer", "None", "<pending>", "<none>", "4h",
                                         "<none>"]
    obj["status"] = {"loadBalancer": {"ingress": [{"ip": "203.0.113.9"}]}}
    obj["spec"]["externalIPs"] = ["198.51.100.1"]
    assert cells("Service", obj)[3] == "203.0.113.9,198.51.100.1"
    external = service(type="ExternalName", externalName="db.example.com")
    assert cells("Service", external)[3] == "db.example.com"


def test_configmap_counts_data_and_binary_data() -> None:
    obj = {"metadata": {"name": "checkout-config", "creationTimestamp": ago(45)},
           "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}}
    assert cells("ConfigMap", obj) == ["checkout-config", 3, "45s"]
    assert cells("ConfigMap", {"metadata": {"name": "empty"}}) == ["empty", 0, "<unknown>"]


EVENT = {
    "apiVersion": "v1", "kind": "Event",
    "metadata": {"name": "checkout.17d2a", "namespace": "shop"},
    "involvedObject": {"kind": "Deployment", "name": "checkout", "namespace": "shop"},
    "reason": "ScalingReplicaSet", "type": "Normal",
    "message": "Scaled up replica set checkout-7d4b9 to 3 from 1\n",
    "source": {"component": "deployment-controller"},
    "firstTimestamp": ago(10 * MINUTE), "lastTimestamp": ago(2 * MINUTE), "count": 2}


def test_event_cells() -> None:
    assert cells("Event", EVENT) == [
        "2m", "Normal", "ScalingReplicaSet", "deployment/checkout", "", "deployment-controller",
        "Scaled up replica set checkout-7d4b9 to 3 from 1", "10m", 2, "checkout.17d2a"]


def test_event_of_the_new_api() -> None:
    obj = {"metadata": {"name": "e"}, "eventTime": "2026-11-30T11:59:00.123456Z",
           "involvedObject": {"kind": "Node", "fieldPath": "spec.containers{app}"},
           "reportingComponent": "kubelet", "reportingInstance": "drill-node-1",
           "type": "Warning", "reason": "BackOff", "message": "Back-off"}
    assert cells("Event", obj) == ["59s", "Warning", "BackOff", "node", "spec.containers{app}",
                                   "kubelet, drill-node-1", "Back-off", "59s", 1, "e"]
    obj["series"] = {"count": 7, "lastObservedTime": ago(5)}
    assert cells("Event", obj)[0] == "5s"
    assert cells("Event", obj)[8] == 7


def test_event_without_timestamps() -> None:
    row = cells("Event", {"metadata": {"name": "e"}, "source": {"component": "c", "host": "h"}})
    assert (row[0], row[5], row[7]) == ("<unknown>", "c, h", "<unknown>")


def test_namespace_cells() -> None:
    obj = {"metadata": {"name": "shop", "creationTimestamp": ago(9 * DAY)},
           "status": {"phase": "Terminating"}}
    assert cells("Namespace", obj) == ["shop", "Terminating", "9d"]


def test_other_kinds_fall_back_to_name_and_age() -> None:
    obj = {"metadata": {"name": "holder", "creationTimestamp": ago(30)}}
    assert columns("ServiceAccount") == [("Name", "string", 0), ("Age", "string", 0)]
    assert cells("ServiceAccount", obj) == ["holder", "30s"]


def test_secret_cells_count_data() -> None:
    obj = {"metadata": {"name": "token", "creationTimestamp": ago(30)}, "type": "Opaque",
           "data": {"a": "eA==", "b": "eQ=="}}
    assert columns("Secret") == [("Name", "string", 0), ("Type", "string", 0),
                                 ("Data", "string", 0), ("Age", "string", 0)]
    assert cells("Secret", obj) == ["token", "Opaque", 2, "30s"]


def test_endpoints_cells_print_three_ready_addresses_then_more() -> None:
    addresses = [{"ip": f"10.244.0.{n}"} for n in range(2, 7)]
    obj = {"metadata": {"name": "checkout", "creationTimestamp": ago(30)},
           "subsets": [{"addresses": addresses, "notReadyAddresses": [{"ip": "10.244.0.9"}],
                        "ports": [{"name": "http", "port": 8080}]}]}
    assert cells("Endpoints", obj) == [
        "checkout", "10.244.0.2:8080,10.244.0.3:8080,10.244.0.4:8080 + 2 more...", "30s"]
    assert cells("Endpoints", {**obj, "subsets": []})[1] == "<none>"


# --- column definitions -------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "expected"), [
    ("Pod", [("Name", "string", 0), ("Ready", "string", 0), ("Status", "string", 0),
             ("Restarts", "string", 0), ("Age", "string", 0), ("IP", "string", 1),
             ("Node", "string", 1), ("Nominated Node", "string", 1),
             ("Readiness Gates", "string", 1)]),
    ("Deployment", [("Name", "string", 0), ("Ready", "string", 0), ("Up-to-date", "string", 0),
                    ("Available", "string", 0), ("Age", "string", 0),
                    ("Containers", "string", 1), ("Images", "string", 1),
                    ("Selector", "string", 1)]),
    ("ReplicaSet", [("Name", "string", 0), ("Desired", "integer", 0), ("Current", "integer", 0),
                    ("Ready", "integer", 0), ("Age", "string", 0), ("Containers", "string", 1),
                    ("Images", "string", 1), ("Selector", "string", 1)]),
    ("Service", [("Name", "string", 0), ("Type", "string", 0), ("Cluster-IP", "string", 0),
                 ("External-IP", "string", 0), ("Port(s)", "string", 0), ("Age", "string", 0),
                 ("Selector", "string", 1)]),
    ("ConfigMap", [("Name", "string", 0), ("Data", "string", 0), ("Age", "string", 0)]),
    ("Event", [("Last Seen", "string", 0), ("Type", "string", 0), ("Reason", "string", 0),
               ("Object", "string", 0), ("Subobject", "string", 1), ("Source", "string", 1),
               ("Message", "string", 0), ("First Seen", "string", 1), ("Count", "string", 1),
               ("Name", "string", 1)]),
    ("Namespace", [("Name", "string", 0), ("Status", "string", 0), ("Age", "string", 0)]),
])
def test_columns_match_the_go_printers(kind: str, expected: list[tuple[str, str, int]]) -> None:
    assert columns(kind) == expected


@pytest.mark.parametrize("kind", ["Pod", "Deployment", "ReplicaSet", "Service", "ConfigMap",
                                  "Event", "Namespace", "Lease"])
def test_every_column_definition_is_complete(kind: str) -> None:
    definitions = to_table(kind, [], now=NOW, resource_version="1")["columnDefinitions"]
    for definition in definitions:
        assert set(definition) == {"name", "type", "format", "description", "priority"}
        assert definition["description"]
        assert definition["format"] == ("name" if definition["name"] == "Name" else "")


SAMPLES = {"Pod": pod("Running", [running()]), "Deployment": DEPLOYMENT,
           "ReplicaSet": replicaset({"matchLabels": {"app": "x"}}), "Service": service(),
           "ConfigMap": {"metadata": {"name": "c"}}, "Event": EVENT,
           "Namespace": {"metadata": {"name": "n"}}, "Lease": {"metadata": {"name": "l"}}}


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_rows_have_one_cell_per_column(kind: str) -> None:
    table = to_table(kind, [SAMPLES[kind]] * 2, now=NOW, resource_version="1")
    assert [len(row["cells"]) for row in table["rows"]] == [len(table["columnDefinitions"])] * 2


# --- the Table envelope and includeObject -------------------------------------------------------

def test_table_envelope() -> None:
    table = to_table("Pod", [], now=NOW, resource_version="4711")
    assert table["kind"] == "Table"
    assert table["apiVersion"] == "meta.k8s.io/v1"
    assert table["metadata"] == {"resourceVersion": "4711"}
    assert table["rows"] == []
    json.dumps(table)


def test_paging_metadata_and_no_headers() -> None:
    table = to_table("Pod", [SAMPLES["Pod"]], now=NOW, resource_version="9",
                     continue_token="abc", remaining_item_count=12, no_headers=True)
    assert table["metadata"] == {"resourceVersion": "9", "continue": "abc",
                                 "remainingItemCount": 12}
    assert "columnDefinitions" not in table


def test_include_object_metadata_is_the_default() -> None:
    original = copy.deepcopy(DEPLOYMENT)
    (row,) = to_table("Deployment", [DEPLOYMENT], now=NOW, resource_version="1")["rows"]
    assert row["object"] == {"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata",
                             "metadata": DEPLOYMENT["metadata"]}
    row["object"]["metadata"]["name"] = "changed"
    assert DEPLOYMENT == original


def test_include_object_object_and_none() -> None:
    (full,) = to_table("Deployment", [DEPLOYMENT], now=NOW, resource_version="1",
                       include_object="Object")["rows"]
    assert full["object"] == DEPLOYMENT
    assert full["object"] is not DEPLOYMENT
    (bare,) = to_table("Deployment", [DEPLOYMENT], now=NOW, resource_version="1",
                       include_object="None")["rows"]
    assert "object" not in bare
    (empty,) = to_table("Deployment", [DEPLOYMENT], now=NOW, resource_version="1",
                        include_object="")["rows"]
    assert empty["object"]["kind"] == "PartialObjectMetadata"


def test_unknown_include_object_is_rejected() -> None:
    with pytest.raises(ValueError, match='unrecognized includeObject value: "All"'):
        to_table("Pod", [], now=NOW, resource_version="1", include_object="All")


def test_rows_keep_the_order_given() -> None:
    names = ["b", "a", "c"]
    objects = [{"metadata": {"name": n}} for n in names]
    table = to_table("ConfigMap", objects, now=NOW, resource_version="1")
    assert [row["cells"][0] for row in table["rows"]] == names
