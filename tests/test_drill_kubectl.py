"""Real kubectl against the drill cluster: what kubectl PRINTS, column by column.

Every test parses kubectl's output (tables, history, messages) and checks it against the
drill's store, so a wrong column, message or status from the drill shows up here.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from conftest import require_tool, wait_for

from tui.drill.cluster import DrillCluster
from tui.drill.controller import REVISION, REVISION_HISTORY
from tui.drill.scenario import find_scenario

T = TypeVar("T")
NS = "production"
POD_HEADER = ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
AGE = re.compile(r"^(\d+[smhdy])+$")
RESTARTS = re.compile(r"^(\d+)( \((\d+[smhdy])+ ago\))?$")
IMAGE = "registry.drill.local/checkout:"


# ---- parsing kubectl's output ---------------------------------------------------------------

def table(text: str) -> list[dict[str, str]]:
    """Rows of one kubectl table, cut at the header's column offsets (cells may hold spaces)."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, f"no table in {text!r}"
    starts = [(m.start(), m.group()) for m in re.finditer(r"\S+(?: \S+)*", lines[0])]
    rows = []
    for line in lines[1:]:
        row = {}
        for index, (start, name) in enumerate(starts):
            end = starts[index + 1][0] if index + 1 < len(starts) else None
            row[name] = line[start:end].strip()
        rows.append(row)
    return rows


def header(text: str) -> list[str]:
    """The column names of a kubectl table."""
    return re.findall(r"\S+(?: \S+)*", text.splitlines()[0])


def sections(text: str) -> list[str]:
    """The tables of `kubectl get a,b,c`, separated by blank lines."""
    return [part for part in re.split(r"\n\s*\n", text.strip()) if part.strip()]


def history(text: str) -> list[tuple[int, str]]:
    """(revision, change-cause) pairs of `kubectl rollout history`."""
    lines = text.strip().splitlines()
    assert lines[0].startswith("deployment.apps/checkout"), text
    assert re.split(r"\s+", lines[1].strip()) == ["REVISION", "CHANGE-CAUSE"], text
    found = []
    for line in lines[2:]:
        number, _, cause = line.strip().partition(" ")
        found.append((int(number), cause.strip()))
    return found


def seconds(age: str) -> int:
    """A kubectl AGE cell (2m10s, 61m, 4h) in seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "y": 365 * 86400}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([smhdy])", age))


def until(probe: Callable[[], T | None], timeout: float = 15.0, every: float = 0.2) -> T:
    """Poll probe until it returns something truthy; fail after timeout."""
    return wait_for(probe.__doc__ or str(probe), probe, timeout, every)


# ---- reading the drill's store ----------------------------------------------------------------

def store_pods(cluster: DrillCluster) -> dict[str, dict[str, Any]]:
    return {p["metadata"]["name"]: p for p in cluster.store.objects("pods", NS)}


def store_rses(cluster: DrillCluster) -> dict[str, dict[str, Any]]:
    return {rs["metadata"]["name"]: rs for rs in cluster.store.objects("replicasets", NS)}


def deployment(cluster: DrillCluster) -> dict[str, Any]:
    return cluster.store.require("deployments", NS, "checkout").obj


def rs_of_image(cluster: DrillCluster, image: str) -> dict[str, Any]:
    (found,) = [rs for rs in store_rses(cluster).values()
                if rs["spec"]["template"]["spec"]["containers"][0]["image"] == image]
    return found


# ---- fixtures -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory):
    """One bad-release drill for the read-only tests (nothing in them changes the cluster)."""
    require_tool("kubectl")
    cluster = DrillCluster(find_scenario("bad-release"),
                           folder=tmp_path_factory.mktemp("shared-drill"), speed=20)
    info = cluster.start()
    yield cluster, info
    cluster.stop()


# ---- get: read-only -----------------------------------------------------------------------------

def test_get_pods_prints_ready_status_restarts_and_age(shared, kubectl) -> None:
    cluster, info = shared
    crashing = rs_of_image(cluster, IMAGE + "2.4.0")["metadata"]["name"]
    seen: dict[str, set[tuple[str, str]]] = {}

    def sample() -> bool:
        """a crash-looping pod printed as 0/1 CrashLoopBackOff"""
        result = kubectl(info, "get", "pods")
        assert result.returncode == 0, result.stderr
        assert header(result.stdout) == POD_HEADER
        rows = table(result.stdout)
        assert sorted(r["NAME"] for r in rows) == sorted(store_pods(cluster))
        for row in rows:
            assert row["NAME"].startswith(crashing + "-") and len(row["NAME"]) == len(crashing) + 6
            assert row["READY"] in ("0/1", "1/1"), row
            restarts = RESTARTS.match(row["RESTARTS"])
            assert restarts and int(restarts.group(1)) >= 2, row  # warm crash-loopers restart
            assert restarts.group(2), row  # "N (Xs ago)": the last restart is known
            # Created by the release's rollout ten minutes ago, a little after their ReplicaSet.
            assert AGE.match(row["AGE"]) and 540 <= seconds(row["AGE"]) <= 600, row
            assert row["STATUS"] in ("Running", "CrashLoopBackOff"), row
            if row["STATUS"] == "CrashLoopBackOff":
                assert row["READY"] == "0/1", row
            seen.setdefault(row["STATUS"], set()).add((row["READY"], row["NAME"]))
        return "CrashLoopBackOff" in seen

    until(sample)


def test_get_pods_wide_adds_ip_node_and_gates(shared, kubectl) -> None:
    cluster, info = shared
    result = kubectl(info, "get", "pods", "-o", "wide")
    assert result.returncode == 0, result.stderr
    assert header(result.stdout) == [*POD_HEADER, "IP", "NODE", "NOMINATED NODE",
                                     "READINESS GATES"]
    pods = store_pods(cluster)
    rows = table(result.stdout)
    assert len(rows) == 3
    for row in rows:
        assert row["IP"] == pods[row["NAME"]]["status"]["podIP"]
        assert re.fullmatch(r"10\.244\.\d+\.\d+", row["IP"])
        assert row["NODE"] == "drill-node-1"
        assert row["NOMINATED NODE"] == row["READINESS GATES"] == "<none>"


def test_get_deploy_rs_svc_prints_three_sections(shared, kubectl) -> None:
    cluster, info = shared
    result = kubectl(info, "get", "deploy,rs,svc")
    assert result.returncode == 0, result.stderr
    deploy, rs, svc = sections(result.stdout)
    assert header(deploy) == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    (row,) = table(deploy)
    assert row["NAME"] == "deployment.apps/checkout"
    assert re.fullmatch(r"[0-3]/3", row["READY"]) and row["UP-TO-DATE"] == "3"
    assert row["AVAILABLE"] in ("0", "1", "2", "3")
    assert 4 * 3600 <= seconds(row["AGE"]) < 4 * 3600 + 180  # 3 revisions + 1 hour ago
    assert header(rs) == ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]
    rses = store_rses(cluster)
    printed = {r["NAME"].removeprefix("replicaset.apps/"): r for r in table(rs)}
    assert set(printed) == set(rses)
    for name, r in printed.items():
        revision = rses[name]["metadata"]["annotations"][REVISION]
        assert (r["DESIRED"], r["CURRENT"]) == (("3", "3") if revision == "3" else ("0", "0"))
        # Revisions 1 and 2 of 3 were created 3 and 2 hours ago; the release of revision 3
        # ten minutes ago (when the metrics turn).
        age = 600 if revision == "3" else (4 - int(revision)) * 3600
        assert 0 <= seconds(r["AGE"]) - age < 180, r
    assert header(svc) == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    (row,) = table(svc)
    service = cluster.store.require("services", NS, "checkout").obj
    assert row == {"NAME": "service/checkout", "TYPE": "ClusterIP",
                   "CLUSTER-IP": service["spec"]["clusterIP"], "EXTERNAL-IP": "<none>",
                   "PORT(S)": "80/TCP", "AGE": "30d"}

    wide = kubectl(info, "get", "deploy,rs,svc", "-o", "wide")
    deploy, rs, svc = sections(wide.stdout)
    (row,) = table(deploy)
    assert (row["CONTAINERS"], row["IMAGES"], row["SELECTOR"]) == (
        "checkout", IMAGE + "2.4.0", "app=checkout")
    for r in table(rs):
        pod_hash = r["NAME"].rsplit("-", 1)[1]
        assert r["SELECTOR"] == f"app=checkout,pod-template-hash={pod_hash}"
        assert r["IMAGES"].startswith(IMAGE)
    assert table(svc)[0]["SELECTOR"] == "app=checkout"


def test_get_pods_with_label_and_field_selectors(shared, kubectl) -> None:
    cluster, info = shared
    everything = sorted(store_pods(cluster))

    def names(*args: str) -> list[str]:
        result = kubectl(info, "get", "pods", *args)
        assert result.returncode == 0, result.stderr
        if not result.stdout:
            assert result.stderr.strip() == f"No resources found in {NS} namespace."
            return []
        return sorted(r["NAME"] for r in table(result.stdout))

    assert names("-l", "app=checkout") == everything
    assert names("-l", "app in (checkout),version notin (blue),!tier") == everything
    assert names("-l", "app=nope") == []
    assert names("-l", "app!=checkout") == []
    # Crash-looping pods keep phase Running (only the container waits), as on a real cluster.
    assert names("--field-selector", "status.phase=Running") == everything
    assert names("--field-selector", "status.phase=Pending") == []
    assert names("--field-selector", f"metadata.name={everything[0]}") == everything[:1]
    bad = kubectl(info, "get", "pods", "--field-selector", "spec.bogus=1")
    assert bad.returncode == 1 and "Error from server (BadRequest)" in bad.stderr


def test_get_pods_json_parses(shared, kubectl) -> None:
    cluster, info = shared
    result = kubectl(info, "get", "pods", "-o", "json")
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    assert listing["kind"] == "List" and listing["apiVersion"] == "v1"
    assert sorted(p["metadata"]["name"] for p in listing["items"]) == sorted(store_pods(cluster))
    for pod in listing["items"]:
        assert pod["kind"] == "Pod" and pod["metadata"]["namespace"] == NS
        (status,) = pod["status"]["containerStatuses"]
        assert status["name"] == "checkout" and status["image"] == IMAGE + "2.4.0"
        assert pod["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
    name = listing["items"][0]["metadata"]["name"]
    one = kubectl(info, "get", "pod", name, "-o", "jsonpath={.spec.containers[0].image}")
    assert one.stdout == IMAGE + "2.4.0"


def test_rollout_history_lists_revisions_and_change_causes(shared, kubectl) -> None:
    _, info = shared
    result = kubectl(info, "rollout", "history", "deploy/checkout")
    assert result.returncode == 0, result.stderr
    assert history(result.stdout) == [(1, "deploy checkout 2.2.0"), (2, "deploy checkout 2.3.1"),
                                      (3, "deploy checkout 2.4.0: new payment client")]
    detail = kubectl(info, "rollout", "history", "deploy/checkout", "--revision=2")
    assert detail.stdout.startswith("deployment.apps/checkout with revision #2\n")
    assert re.search(r"Image:\s+" + re.escape(IMAGE + "2.3.1"), detail.stdout)
    assert "kubernetes.io/change-cause: deploy checkout 2.3.1" in detail.stdout
    missing = kubectl(info, "rollout", "history", "deploy/checkout", "--revision=99")
    assert missing.returncode == 1
    assert missing.stderr.strip() == "error: unable to find the specified revision"


def test_logs_of_deployment_and_pod(shared, kubectl) -> None:
    cluster, info = shared
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ "
    tail = kubectl(info, "logs", "deploy/checkout", "--tail=2")
    assert tail.returncode == 0, tail.stderr
    lines = tail.stdout.splitlines()
    assert len(lines) == 2 and all(re.match(stamp, line) for line in lines)
    # A dead container's log ends with its crash; a running one's with its latest error.
    assert lines[-1].endswith(("panic: nil pointer dereference in payment client",
                               "ERROR payment client: upstream returned 500 (request failed)"))
    pod = min(store_pods(cluster))
    full = kubectl(info, "logs", pod)
    assert full.returncode == 0, full.stderr
    lines = full.stdout.splitlines()
    assert re.fullmatch(stamp + f"starting {pod} version 2.4.0", lines[0])
    assert any("ERROR payment client" in line for line in lines)
    # The latest line: the same words again, the crash that ended that container, or the
    # first line of the container the kubelet started after it (the pod crash-loops meanwhile).
    (last,) = kubectl(info, "logs", pod, "--tail=1").stdout.splitlines()
    words = last.split(" ", 1)[1]
    assert words in (lines[-1].split(" ", 1)[1],
                     "panic: nil pointer dereference in payment client",
                     f"starting {pod} version 2.4.0"), last
    gone = kubectl(info, "logs", "checkout-nope")
    assert gone.returncode == 1
    assert 'pods "checkout-nope" not found' in gone.stderr


def test_get_events_columns(shared, kubectl) -> None:
    cluster, info = shared

    def backoff() -> list[dict[str, str]] | None:
        """a BackOff warning among the events"""
        result = kubectl(info, "get", "events")
        assert result.returncode == 0, result.stderr
        assert header(result.stdout) == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
        rows = table(result.stdout)
        return rows if any(r["REASON"] == "BackOff" for r in rows) else None

    rows = until(backoff)
    pods = store_pods(cluster)
    for row in rows:
        assert AGE.match(row["LAST SEEN"]), row
        assert row["TYPE"] in ("Normal", "Warning"), row
        kind, _, name = row["OBJECT"].partition("/")
        assert kind in ("pod", "replicaset", "deployment"), row
        if row["REASON"] == "BackOff":
            # The kubelet names the pod as name_namespace(uid).
            assert row["TYPE"] == "Warning" and name in pods
            uid = pods[name]["metadata"]["uid"]
            assert row["MESSAGE"] == ("Back-off restarting failed container checkout in pod "
                                      f"{name}_{NS}({uid})")


def test_describe_crash_looping_pod(shared, kubectl) -> None:
    cluster, info = shared
    name = min(store_pods(cluster))
    text = kubectl(info, "describe", "pod", name).stdout
    assert re.search(rf"^Name:\s+{name}$", text, re.MULTILINE)
    assert re.search(r"^Node:\s+drill-node-1/172\.18\.0\.2$", text, re.MULTILINE)
    assert re.search(r"^Status:\s+Running$", text, re.MULTILINE)
    owner = rs_of_image(cluster, IMAGE + "2.4.0")["metadata"]["name"]
    assert re.search(rf"^Controlled By:\s+ReplicaSet/{owner}$", text, re.MULTILINE)
    assert re.search(r"Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+1", text)
    restarts = re.search(r"Restart Count:\s+(\d+)", text)
    assert restarts and int(restarts.group(1)) >= 2
    # Requests without limits: Burstable (the drill used to say BestEffort).
    assert re.search(r"^QoS Class:\s+Burstable$", text, re.MULTILINE)
    assert re.search(r"Requests:\n\s+cpu:\s+100m\n\s+memory:\s+128Mi", text)


def test_auth_can_i_allows_by_default(shared, kubectl) -> None:
    _, info = shared
    for verb in ("patch", "get", "list", "watch", "update"):
        result = kubectl(info, "auth", "can-i", verb, "deployments", "-n", NS)
        assert (result.returncode, result.stdout.strip()) == (0, "yes"), result.stderr


# ---- rollout undo / history ------------------------------------------------------------------

def test_rollout_undo_renumbers_revisions_like_a_real_cluster(drill, kubectl) -> None:
    cluster, info = drill("bad-release", speed=20)

    def revisions() -> list[int]:
        result = kubectl(info, "rollout", "history", "deploy/checkout")
        assert result.returncode == 0, result.stderr
        return [number for number, _ in history(result.stdout)]

    def revision_settled(wanted: list[int]) -> Callable[[], bool]:
        def probe() -> bool:
            return revisions() == wanted
        probe.__doc__ = f"revisions {wanted}"
        return probe

    assert revisions() == [1, 2, 3]
    out = kubectl(info, "set", "env", "deploy/checkout", "FOO=bar")
    assert out.stdout.strip() == "deployment.apps/checkout env updated", out.stderr
    until(revision_settled([1, 2, 3, 4]))

    out = kubectl(info, "rollout", "undo", "deploy/checkout")
    assert out.stdout.strip() == "deployment.apps/checkout rolled back", out.stderr
    until(revision_settled([1, 2, 4, 5]))
    rses = [rs for rs in store_rses(cluster).values()
            if rs["metadata"]["annotations"][REVISION] == "5"]
    assert len(rses) == 1 and rses[0]["metadata"]["annotations"][REVISION_HISTORY] == "3"

    out = kubectl(info, "rollout", "undo", "deploy/checkout", "--to-revision=2")
    assert out.stdout.strip() == "deployment.apps/checkout rolled back", out.stderr
    until(revision_settled([1, 4, 5, 6]))
    result = kubectl(info, "rollout", "history", "deploy/checkout")
    assert history(result.stdout)[-1] == (6, "deploy checkout 2.3.1")
    back = rs_of_image(cluster, IMAGE + "2.3.1")
    assert back["metadata"]["annotations"][REVISION_HISTORY] == "2"
    assert len(store_rses(cluster)) == 4  # no ReplicaSet was created for the undos

    missing = kubectl(info, "rollout", "undo", "deploy/checkout", "--to-revision=99")
    assert missing.returncode == 1
    assert missing.stderr.strip() == "error: unable to find specified revision 99 in history"

    same = kubectl(info, "rollout", "undo", "deploy/checkout", "--to-revision=6")
    assert same.returncode == 0, same.stderr
    assert same.stdout.strip() == ("deployment.apps/checkout skipped rollback (current template "
                                   "already matches revision 6)")
    assert revisions() == [1, 4, 5, 6]


def test_rollout_undo_server_dry_run_changes_nothing(drill, kubectl) -> None:
    cluster, info = drill("bad-release", speed=20)
    before = deployment(cluster)
    out = kubectl(info, "rollout", "undo", "deploy/checkout", "--dry-run=server")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "deployment.apps/checkout rolled back (server dry run)"
    time.sleep(0.5)  # give the controllers a few ticks to (wrongly) react
    after = deployment(cluster)
    assert after["spec"] == before["spec"]
    assert after["metadata"]["generation"] == before["metadata"]["generation"]
    assert len(store_rses(cluster)) == 3
    result = kubectl(info, "rollout", "history", "deploy/checkout")
    assert [n for n, _ in history(result.stdout)] == [1, 2, 3]
    image = kubectl(info, "get", "deploy", "checkout", "-o",
                    "jsonpath={.spec.template.spec.containers[0].image}")
    assert image.stdout == IMAGE + "2.4.0"


# ---- rollout status ---------------------------------------------------------------------------

def test_rollout_status_reports_progress_then_success(drill, kubectl) -> None:
    # Speed 4: each new pod takes about a second, so kubectl surely sees the rollout under way.
    cluster, info = drill("bad-flag", speed=4)
    out = kubectl(info, "set", "image", "deploy/checkout", f"checkout={IMAGE}2.5.0")
    assert out.stdout.strip() == "deployment.apps/checkout image updated", out.stderr
    status = kubectl(info, "rollout", "status", "deploy/checkout", "--timeout=30s", timeout=40)
    assert status.returncode == 0, status.stderr
    lines = status.stdout.strip().splitlines()
    assert lines[-1] == 'deployment "checkout" successfully rolled out'
    waiting = re.compile(r'Waiting for deployment "checkout" rollout to finish: (?:'
                         r"\d out of 3 new replicas have been updated|"
                         r"\d old replicas are pending termination|"
                         r"\d of 3 updated replicas are available)\.\.\.$|"
                         r"Waiting for deployment spec update to be observed\.\.\.$")
    assert lines[:-1], "no progress messages before the success line"
    assert all(waiting.match(line) for line in lines[:-1]), lines
    assert any("out of 3 new replicas have been updated" in line for line in lines)
    again = kubectl(info, "rollout", "status", "deploy/checkout", "--watch=false")
    assert again.stdout.strip() == 'deployment "checkout" successfully rolled out'
    assert deployment(cluster)["status"]["observedGeneration"] == \
        deployment(cluster)["metadata"]["generation"]


def test_rollout_status_fails_past_the_progress_deadline(drill, kubectl) -> None:
    cluster, info = drill("stuck-rollout", speed=20)
    # The rollout is starting: its one surge pod is new (not a warm pod of the history).
    rows = table(kubectl(info, "get", "pods").stdout)
    new_hash = rs_of_image(cluster, IMAGE + "2.5.0")["metadata"]["name"]
    (fresh,) = [r for r in rows if r["NAME"].startswith(new_hash + "-")]
    assert seconds(fresh["AGE"]) < 60 and fresh["READY"] == "0/1"
    assert fresh["STATUS"] in ("ContainerCreating", "Running") and fresh["RESTARTS"] == "0"
    assert sum(r["READY"] == "1/1" and r["STATUS"] == "Running" for r in rows) == 3

    status = kubectl(info, "rollout", "status", "deploy/checkout", "--timeout=30s", timeout=40)
    assert status.returncode == 1
    assert status.stderr.strip() == 'error: deployment "checkout" exceeded its progress deadline'
    assert ('Waiting for deployment "checkout" rollout to finish: 1 out of 3 new replicas have '
            "been updated...") in status.stdout.splitlines()
    described = kubectl(info, "describe", "deploy", "checkout").stdout
    assert re.search(r"Progressing\s+False\s+ProgressDeadlineExceeded", described)
    assert re.search(r"Available\s+True\s+MinimumReplicasAvailable", described)


# ---- pause / resume / restart -----------------------------------------------------------------

def test_pause_refuses_undo_then_resume_and_restart(drill, kubectl) -> None:
    cluster, info = drill("bad-flag", speed=20)
    out = kubectl(info, "rollout", "pause", "deploy/checkout")
    assert out.stdout.strip() == "deployment.apps/checkout paused", out.stderr

    def paused_condition() -> str | None:
        """Progressing Unknown/DeploymentPaused in describe"""
        text = kubectl(info, "describe", "deploy", "checkout").stdout
        return text if re.search(r"Progressing\s+Unknown\s+DeploymentPaused", text) else None

    until(paused_condition, timeout=5)
    undo = kubectl(info, "rollout", "undo", "deploy/checkout")
    assert undo.returncode == 1
    assert undo.stderr.strip() == ("error: you cannot rollback a paused deployment; resume it "
                                   "first with 'kubectl rollout resume' and try again")
    # A paused deployment takes template changes but does not roll them out.
    kubectl(info, "set", "image", "deploy/checkout", f"checkout={IMAGE}2.5.0")
    time.sleep(0.5)
    assert len(store_rses(cluster)) == 2
    assert history(kubectl(info, "rollout", "history", "deploy/checkout").stdout)[-1][0] == 2

    out = kubectl(info, "rollout", "resume", "deploy/checkout")
    assert out.stdout.strip() == "deployment.apps/checkout resumed", out.stderr
    status = kubectl(info, "rollout", "status", "deploy/checkout", "--timeout=30s", timeout=40)
    assert status.stdout.strip().endswith('deployment "checkout" successfully rolled out')
    assert [n for n, _ in history(kubectl(info, "rollout", "history",
                                          "deploy/checkout").stdout)] == [1, 2, 3]

    out = kubectl(info, "rollout", "restart", "deploy/checkout")
    assert out.stdout.strip() == "deployment.apps/checkout restarted", out.stderr
    status = kubectl(info, "rollout", "status", "deploy/checkout", "--timeout=30s", timeout=40)
    assert status.returncode == 0, status.stderr
    assert [n for n, _ in history(kubectl(info, "rollout", "history",
                                          "deploy/checkout").stdout)] == [1, 2, 3, 4]
    template = deployment(cluster)["spec"]["template"]
    assert "kubectl.kubernetes.io/restartedAt" in template["metadata"]["annotations"]
    described = kubectl(info, "describe", "deploy", "checkout").stdout
    assert re.search(r"Progressing\s+True\s+NewReplicaSetAvailable", described)


# ---- scale ------------------------------------------------------------------------------------

def test_scale_up_down_and_back(drill, kubectl) -> None:
    # Speed 2: a new pod shows ContainerCreating for 1.5 s, long enough to see it printed.
    cluster, info = drill("bad-flag", speed=2)

    def ready(expected: str, pods: int) -> Callable[[], bool]:
        def probe() -> bool:
            (row,) = table(kubectl(info, "get", "deploy").stdout)
            listed = kubectl(info, "get", "pods")
            rows = table(listed.stdout) if listed.stdout else []
            return (row["READY"] == expected and len(rows) == pods
                    and all(r["READY"] == "1/1" and r["STATUS"] == "Running" for r in rows))
        probe.__doc__ = f"READY {expected} with {pods} running pods"
        return probe

    out = kubectl(info, "scale", "deploy/checkout", "--replicas=5")
    assert out.stdout.strip() == "deployment.apps/checkout scaled", out.stderr

    def creating() -> list[dict[str, str]] | None:
        """new pods printed as 0/1 ContainerCreating"""
        rows = table(kubectl(info, "get", "pods").stdout)
        fresh = [r for r in rows if r["STATUS"] == "ContainerCreating"]
        return fresh if len(rows) == 5 and fresh else None

    for row in until(creating, timeout=5, every=0.05):
        assert row["READY"] == "0/1" and row["RESTARTS"] == "0" and seconds(row["AGE"]) < 5
    until(ready("5/5", 5))
    assert deployment(cluster)["spec"]["replicas"] == 5

    assert kubectl(info, "scale", "deploy/checkout", "--replicas=0").returncode == 0
    until(ready("0/0", 0))
    empty = kubectl(info, "get", "pods")
    assert empty.stdout == "" and "No resources found" in empty.stderr
    (row,) = table(kubectl(info, "get", "deploy").stdout)
    assert (row["UP-TO-DATE"], row["AVAILABLE"]) == ("0", "0")

    assert kubectl(info, "scale", "deploy/checkout", "--replicas=3").returncode == 0
    until(ready("3/3", 3))
    (row,) = table(kubectl(info, "get", "deploy").stdout)
    assert (row["UP-TO-DATE"], row["AVAILABLE"]) == ("3", "3")
    # Scaling is not a new revision.
    assert [n for n, _ in history(kubectl(info, "rollout", "history",
                                          "deploy/checkout").stdout)] == [1, 2]


# ---- set env / set image / patch ----------------------------------------------------------------

def test_set_env_and_set_image_make_new_revisions(drill, kubectl) -> None:
    cluster, info = drill("bad-flag", speed=20)

    def revisions(last: int) -> Callable[[], bool]:
        def probe() -> bool:
            found = history(kubectl(info, "rollout", "history", "deploy/checkout").stdout)
            return [n for n, _ in found] == list(range(1, last + 1))
        probe.__doc__ = f"revisions 1-{last} in history"
        return probe

    out = kubectl(info, "set", "env", "deploy/checkout", "NEW_CHECKOUT=false")
    assert out.stdout.strip() == "deployment.apps/checkout env updated", out.stderr
    until(revisions(3))  # one change at a time, or both could land in one revision
    out = kubectl(info, "set", "image", "deploy/checkout", f"checkout={IMAGE}2.6.0")
    assert out.stdout.strip() == "deployment.apps/checkout image updated", out.stderr
    until(revisions(4))
    container = deployment(cluster)["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == IMAGE + "2.6.0"
    assert {"name": "NEW_CHECKOUT", "value": "false"} in container["env"]
    rs = rs_of_image(cluster, IMAGE + "2.6.0")
    assert rs["metadata"]["annotations"][REVISION] == "4"
    rows = table(kubectl(info, "get", "rs", "-o", "wide").stdout)
    assert {r["NAME"]: r["IMAGES"] for r in rows}[rs["metadata"]["name"]] == IMAGE + "2.6.0"
    detail = kubectl(info, "rollout", "history", "deploy/checkout", "--revision=4").stdout
    assert re.search(r"NEW_CHECKOUT:\s+false", detail)


def test_describe_deploy_shows_conditions_replicasets_and_events(drill, kubectl) -> None:
    cluster, info = drill("bad-flag", speed=20)
    old = rs_of_image(cluster, IMAGE + "2.4.0")["metadata"]["name"]
    kubectl(info, "set", "image", "deploy/checkout", f"checkout={IMAGE}2.5.0")
    status = kubectl(info, "rollout", "status", "deploy/checkout", "--timeout=30s", timeout=40)
    assert status.returncode == 0, status.stderr
    new = rs_of_image(cluster, IMAGE + "2.5.0")["metadata"]["name"]
    text = kubectl(info, "describe", "deploy", "checkout").stdout
    assert re.search(r"^Replicas:\s+3 desired \| 3 updated \| 3 total \| 3 available \| "
                     r"0 unavailable$", text, re.MULTILINE)
    assert re.search(r"Available\s+True\s+MinimumReplicasAvailable", text)
    assert re.search(r"Progressing\s+True\s+NewReplicaSetAvailable", text)
    assert re.search(rf"^NewReplicaSet:\s+{new} \(3/3 replicas created\)$", text, re.MULTILINE)
    olds = re.search(r"^OldReplicaSets:\s+(.*)$", text, re.MULTILINE)
    assert olds and f"{old} (0/0 replicas created)" in olds.group(1)
    events = text.split("\nEvents:", 1)[1]
    scaling = re.findall(r"Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+(.*)",
                         events)
    assert f"Scaled up replica set {new} to 1 from 0" in scaling
    assert f"Scaled up replica set {new} to 3 from 2" in scaling
    assert f"Scaled down replica set {old} to 0 from 1" in scaling
    for message in scaling:
        assert re.fullmatch(r"Scaled (up|down) replica set checkout-\w+ to \d+ from \d+", message)


def test_patch_service_strategic_merge_and_json(drill, kubectl) -> None:
    cluster, info = drill("bad-flag", speed=20)

    def svc() -> dict[str, Any]:
        return cluster.store.require("services", NS, "checkout").obj

    blue = '{"spec":{"selector":{"version":"blue"}}}'
    out = kubectl(info, "patch", "svc", "checkout", "-p", blue)
    assert out.stdout.strip() == "service/checkout patched", out.stderr
    rv = svc()["metadata"]["resourceVersion"]
    out = kubectl(info, "patch", "svc", "checkout", "-p", blue)
    assert out.stdout.strip() == "service/checkout patched (no change)", out.stderr
    assert svc()["metadata"]["resourceVersion"] == rv
    (row,) = table(kubectl(info, "get", "svc", "-o", "wide").stdout)
    assert row["SELECTOR"] == "app=checkout,version=blue"

    out = kubectl(info, "patch", "svc", "checkout", "--type=merge", "-p",
                  '{"metadata":{"labels":{"tier":"web"}}}')
    assert out.stdout.strip() == "service/checkout patched", out.stderr
    out = kubectl(info, "patch", "svc", "checkout", "--type=json", "-p",
                  '[{"op":"remove","path":"/spec/selector/version"},'
                  '{"op":"replace","path":"/spec/ports/0/port","value":8080}]')
    assert out.stdout.strip() == "service/checkout patched", out.stderr
    (row,) = table(kubectl(info, "get", "svc", "-o", "wide", "--show-labels").stdout)
    assert (row["SELECTOR"], row["PORT(S)"], row["LABELS"]) == (
        "app=checkout", "8080/TCP", "app=checkout,tier=web")
    out = kubectl(info, "patch", "svc", "checkout", "--type=json", "-p",
                  '[{"op":"test","path":"/spec/selector/app","value":"checkout"}]')
    assert out.stdout.strip() == "service/checkout patched (no change)", out.stderr
    failed = kubectl(info, "patch", "svc", "checkout", "--type=json", "-p",
                     '[{"op":"test","path":"/spec/selector/app","value":"nope"}]')
    assert failed.returncode == 1 and failed.stderr.startswith("The request is invalid")
    missing = kubectl(info, "patch", "svc", "nope", "-p", blue)
    assert missing.returncode == 1
    assert missing.stderr.strip() == 'Error from server (NotFound): services "nope" not found'


# ---- authorization ------------------------------------------------------------------------------

def test_denied_patch_is_no_and_forbidden(drill, kubectl) -> None:
    cluster, info = drill("bad-flag", speed=20)
    can_i = ("auth", "can-i", "patch", "deployments", "-n", NS)
    assert kubectl(info, *can_i).stdout.strip() == "yes"
    cluster.faults.apply("deny=patch:deployments")
    result = kubectl(info, *can_i)
    assert result.returncode == 1
    assert result.stdout.split()[0] == "no"
    assert kubectl(info, "auth", "can-i", "get", "deployments", "-n", NS).stdout.strip() == "yes"

    forbidden = ('Error from server (Forbidden): deployments.apps "checkout" is forbidden: User '
                 '"drill-user" cannot patch resource "{res}" in API group "apps" in the '
                 'namespace "production"')
    patch = kubectl(info, "patch", "deploy", "checkout", "-p", '{"spec":{"replicas":4}}')
    assert patch.returncode == 1
    assert patch.stderr.strip() == forbidden.format(res="deployments")
    scale = kubectl(info, "scale", "deploy/checkout", "--replicas=4")
    assert scale.returncode == 1
    assert scale.stderr.strip() == forbidden.format(res="deployments/scale")
    assert deployment(cluster)["spec"]["replicas"] == 3


# ---- watch --------------------------------------------------------------------------------------

def test_get_pods_watch_shows_a_deleted_pod_terminating_and_its_replacement(drill, kubectl,
                                                                             tmp_path: Path
                                                                             ) -> None:
    cluster, info = drill("bad-flag", speed=20)
    before = sorted(store_pods(cluster))
    victim = before[0]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "KUBECONFIG": info.kubeconfig}
    watcher = subprocess.Popen(
        [require_tool("kubectl"), "--cache-dir", info.extra["kubectl_cache_dir"], "get", "pods",
         "-w", "--request-timeout=5s"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True)
    try:
        time.sleep(1.0)
        deleted = kubectl(info, "delete", "pod", victim, "--wait=false")
        assert deleted.stdout.strip() == f'pod "{victim}" deleted', deleted.stderr
        # Terminating lasts about a second: a plain get right away prints it too.
        rows = {r["NAME"]: r for r in table(kubectl(info, "get", "pods").stdout)}
        assert rows[victim]["STATUS"] == "Terminating"
        try:
            out, err = watcher.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(watcher.pid, signal.SIGKILL)
            out, err = watcher.communicate()
    finally:
        if watcher.poll() is None:
            os.killpg(watcher.pid, signal.SIGKILL)
            watcher.wait()
    assert header(out) == POD_HEADER, err
    lines = [line for line in out.splitlines()[1:] if line.strip()]
    # Watch lines are not re-aligned with the header: split on runs of spaces.
    events = [re.split(r"\s{2,}", line.strip()) for line in lines]
    initial, changes = events[:3], events[3:]
    assert sorted(e[0] for e in initial) == before
    assert all(e[1:3] == ["1/1", "Running"] for e in initial), initial
    assert [victim, "0/1", "Terminating"] in [e[:3] for e in changes], changes
    replacement = [e for e in changes if e[0] not in {i[0] for i in initial}]
    assert replacement, changes
    assert replacement[-1][1:3] == ["1/1", "Running"], replacement
    assert {e[2] for e in replacement} <= {"Pending", "ContainerCreating", "Running"}

    # A fresh pod's events, as the scheduler and kubelet word them.
    text = kubectl(info, "describe", "pod", replacement[-1][0]).stdout
    pod_events = text.split("\nEvents:", 1)[1]
    image = IMAGE + "2.4.0"
    for reason, source, message in [
            ("Scheduled", "default-scheduler",
             f"Successfully assigned {NS}/{replacement[-1][0]} to drill-node-1"),
            ("Pulled", "kubelet", f'Container image "{image}" already present on machine'),
            ("Created", "kubelet", "Created container checkout"),
            ("Started", "kubelet", "Started container checkout")]:
        assert re.search(rf"Normal\s+{reason}\s+\S+\s+{source}\s+{re.escape(message)}$",
                         pod_events, re.MULTILINE), (reason, pod_events)
    assert re.search(r"^QoS Class:\s+Burstable$", text, re.MULTILINE)
