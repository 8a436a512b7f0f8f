"""Compact pod rows (tui.domain.pods): kubectl's columns, health, versions, hostile input."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.domain.pods import (
    PodHealth,
    PodRow,
    Termination,
    age_text,
    image_tag,
    pod_row,
    restarts_text,
)

NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC).timestamp()


def ago(seconds: float) -> str:
    """An RFC 3339 timestamp `seconds` before NOW."""
    return datetime.fromtimestamp(NOW - seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pod(phase: str = "Running", statuses: list[dict[str, Any]] | None = None,
        **labels: str) -> dict[str, Any]:
    """A pod shaped as the drill writes them (one container)."""
    return {
        "metadata": {"name": "checkout-7d4b9-abcde", "namespace": "production",
                     "uid": "u-1", "resourceVersion": "42", "creationTimestamp": ago(3600),
                     "labels": {"app": "checkout", "pod-template-hash": "7d4b9", **labels}},
        "spec": {"nodeName": "drill-node-1",
                 "containers": [{"name": "checkout",
                                 "image": "registry.drill.local/checkout:2.4.0"}]},
        "status": {"phase": phase, "podIP": "10.244.0.7",
                   "containerStatuses": statuses if statuses is not None else []},
    }


def running(ready: bool = True, restarts: int = 0, **extra: Any) -> dict[str, Any]:
    return {"name": "checkout", "ready": ready, "restartCount": restarts,
            "state": {"running": {"startedAt": ago(60)}}, **extra}


def waiting(reason: str, restarts: int = 0, finished: str | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {"name": "checkout", "ready": False, "restartCount": restarts,
                              "state": {"waiting": {"reason": reason}}}
    if finished:
        status["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error",
                                              "finishedAt": finished}}
    return status


def test_a_ready_pod() -> None:
    row = pod_row(pod("Running", [running()]))
    assert (row.uid, row.name, row.namespace) == ("u-1", "checkout-7d4b9-abcde", "production")
    assert (row.ready, row.total, row.ready_text, row.status) == (1, 1, "1/1", "Running")
    assert row.health is PodHealth.READY and row.restarts == 0 and row.last_restart is None
    assert (row.node, row.ip, row.pod_template_hash) == ("drill-node-1", "10.244.0.7", "7d4b9")
    assert row.version == "2.4.0" and row.images == ("registry.drill.local/checkout:2.4.0",)
    assert row.created == NOW - 3600 and row.resource_version == "42"
    assert row.revision is None and row.last_termination is None
    assert age_text(row.created, NOW) == "60m" and restarts_text(row, NOW) == "0"


def test_a_crash_looping_pod_is_failing_with_its_last_termination() -> None:
    row = pod_row(pod("Running", [waiting("CrashLoopBackOff", 6, ago(120))]))
    assert row.status == "CrashLoopBackOff" and row.health is PodHealth.FAILING
    assert row.ready_text == "0/1" and row.restarts == 6
    assert restarts_text(row, NOW) == "6 (2m ago)"
    assert row.last_termination == Termination("Error", 1)


@pytest.mark.parametrize(("phase", "statuses", "extra", "status", "health"), [
    ("Pending", [], {}, "Pending", PodHealth.PENDING),
    ("Pending", [waiting("ContainerCreating")], {}, "ContainerCreating", PodHealth.PENDING),
    ("Pending", [waiting("ImagePullBackOff")], {}, "ImagePullBackOff", PodHealth.FAILING),
    ("Pending", [waiting("ErrImagePull")], {}, "ErrImagePull", PodHealth.FAILING),
    ("Pending", [waiting("CreateContainerConfigError")], {}, "CreateContainerConfigError",
     PodHealth.FAILING),
    ("Running", [running(ready=False)], {}, "Running", PodHealth.RUNNING_NOT_READY),
    ("Running", [{"name": "c", "state": {"terminated": {"exitCode": 137,
                                                        "reason": "OOMKilled"}}}], {},
     "OOMKilled", PodHealth.FAILING),
    ("Failed", [{"name": "c", "state": {"terminated": {"exitCode": 2}}}], {}, "ExitCode:2",
     PodHealth.FAILING),
    ("Succeeded", [{"name": "c", "state": {"terminated": {"exitCode": 0,
                                                          "reason": "Completed"}}}], {},
     "Completed", PodHealth.COMPLETED),
    ("Running", [running()], {"deletionTimestamp": ago(1)}, "Terminating",
     PodHealth.TERMINATING),
    ("Weird", [], {}, "Weird", PodHealth.UNKNOWN),
])
def test_status_and_health(phase: str, statuses: list[dict[str, Any]], extra: dict[str, Any],
                           status: str, health: PodHealth) -> None:
    raw = pod(phase, statuses)
    raw["metadata"].update(extra)
    row = pod_row(raw)
    assert (row.status, row.health) == (status, health)


def test_init_containers_are_pending_or_failing() -> None:
    raw = pod("Pending", [])
    raw["spec"]["initContainers"] = [{"name": "migrate"}]
    raw["status"]["initContainerStatuses"] = [{"name": "migrate", "restartCount": 0,
                                               "state": {"waiting": {"reason": "PodInitializing"}}}]
    assert (pod_row(raw).status, pod_row(raw).health) == ("Init:0/1", PodHealth.PENDING)
    raw["status"]["initContainerStatuses"][0]["state"] = {"waiting": {
        "reason": "CrashLoopBackOff"}}
    assert (pod_row(raw).status, pod_row(raw).health) == ("Init:CrashLoopBackOff",
                                                          PodHealth.FAILING)


def test_version_prefers_labels_then_the_image_tag() -> None:
    assert pod_row(pod(version="2.3.1")).version == "2.3.1"
    assert pod_row(pod(**{"app.kubernetes.io/version": "9", "version": "8"})).version == "9"
    assert image_tag("registry:5000/team/app:1.2@sha256:abc") == "1.2"
    assert image_tag("registry:5000/team/app") == "latest"
    assert image_tag("app@sha256:abc") == ""


def test_rows_share_repeated_strings_and_image_tuples() -> None:
    # Two separately parsed documents hold distinct string objects.
    first, second = json.loads(json.dumps(pod())), json.loads(json.dumps(pod()))
    assert first["spec"]["nodeName"] is not second["spec"]["nodeName"]
    a, b = pod_row(first), pod_row(second)
    assert a.node is b.node and a.images is b.images and a.status is b.status
    assert not hasattr(a, "__dict__")  # slots: no per-row dict


def test_a_row_keeps_no_raw_data() -> None:
    raw = pod("Running", [running()])
    row = pod_row(raw)
    before = copy.deepcopy(row)
    raw["metadata"]["name"] = "changed"
    raw["spec"]["containers"][0]["image"] = "changed:1"
    assert row == before
    assert all(not isinstance(getattr(row, f), (dict, list)) for f in PodRow.__slots__)


HOSTILE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["metadata", "spec", "status", "containers", "containerStatuses",
                         "initContainers", "initContainerStatuses", "state", "lastState",
                         "terminated", "waiting", "running", "reason", "exitCode", "name",
                         "labels", "uid", "restartCount", "podIPs", "phase", "conditions",
                         "deletionTimestamp", "finishedAt", "image", "ready", "type"]),
        children, max_size=5),
    max_leaves=30)


@settings(max_examples=400, deadline=None)
@given(HOSTILE)
def test_pod_row_never_raises_on_hostile_shapes(raw: Any) -> None:
    row = pod_row(raw if isinstance(raw, dict) else {"metadata": raw, "spec": raw,
                                                     "status": raw})
    assert isinstance(row.status, str) and isinstance(row.health, PodHealth)
    assert row.ready >= 0 and row.total >= 0 and isinstance(row.restarts, int)
    assert isinstance(row.images, tuple)


def test_specific_hostile_values() -> None:
    raw = pod("Running", [{"name": "c", "restartCount": "7", "ready": "yes",
                           "state": {"terminated": {"exitCode": "1", "reason": 5}},
                           "lastState": {"terminated": {"finishedAt": "not a time"}}}])
    raw["metadata"]["creationTimestamp"] = 12
    raw["spec"]["containers"] = [{"image": None}, "not a container"]
    raw["status"]["podIPs"] = [None]
    del raw["status"]["podIP"]
    row = pod_row(raw)
    assert row.restarts == 0 and row.created is None and row.ip == ""
    assert row.status == "ExitCode:0" and row.health is PodHealth.FAILING
    assert row.images == ("", "") and row.last_termination == Termination("", None)


def test_rows_match_what_kubectl_prints_for_drill_pods(drill, kubectl) -> None:
    """pod_row's READY/STATUS/RESTARTS equal real kubectl's columns for the drill's pods."""
    from tui.adapters.kube import Kube

    _, info = drill("bad-release", speed=20)
    with Kube.connect(info.kubeconfig) as kube:
        rows = {r.name: r for r in map(pod_row, kube.list_pods("checkout").items)}
    result = kubectl(info, "get", "pods", "-n", "production", "-l", "app=checkout",
                     "--no-headers")
    assert result.returncode == 0, result.stderr
    printed = {line.split()[0]: line.split()[1:4] for line in result.stdout.splitlines()}
    assert set(printed) == set(rows)
    for name, (ready, status, restarts) in printed.items():
        row = rows[name]
        assert (row.ready_text, row.status, str(row.restarts)) == (ready, status, restarts)
        assert row.version == "2.4.0" and row.node == "drill-node-1"
    assert {r.health for r in rows.values()} <= {PodHealth.READY, PodHealth.FAILING,
                                                 PodHealth.RUNNING_NOT_READY}
