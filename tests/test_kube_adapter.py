"""The Kubernetes adapter (tui.adapters.kube) against the drill cluster over real HTTP.

No mocks: every operation goes through the official client to the drill's API server; changes
are checked through the adapter, through the client directly, and through real kubectl.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import drill_kubeconfig
from conftest import wait_for as shared_wait_for
from kubernetes import client

from tui.adapters.kube import Kube, KubeError, label_selector
from tui.adapters.kube_diff import diff_templates, same_template
from tui.adapters.kube_retry import retry_scope
from tui.adapters.kube_status import judge
from tui.domain.actions import ACTIONS, Permission

NS = "production"
DEPLOY = "checkout"
IMAGE = "registry.drill.local/checkout:"


# ---- helpers ---------------------------------------------------------------------------------

def wait_for(what: str, check: Callable[[], Any], timeout: float = 20.0,
             every: float = 0.1) -> Any:
    """Poll check() until it returns something truthy (the shared helper, this file's timeout)."""
    return shared_wait_for(what, check, timeout, every)


@pytest.fixture
def bad_release(drill) -> Iterator[tuple[Any, Any, Kube]]:
    """bad-release (revision 3 crash-loops) and a Kube connected through its kubeconfig."""
    cluster, info = drill("bad-release", speed=20)
    with Kube.connect(info.kubeconfig) as kube:
        yield cluster, info, kube


def raw_apps(kube: Kube) -> client.AppsV1Api:
    """The official client on the same connection, for setting up and checking state."""
    return client.AppsV1Api(kube.api_client)


def raw_core(kube: Kube) -> client.CoreV1Api:
    """The official core client on the same connection."""
    return client.CoreV1Api(kube.api_client)


def current_revision(kube: Kube) -> int | None:
    """The number of the revision whose template the Deployment runs."""
    # None for the moment between a template change and its new ReplicaSet, when no revision
    # runs the Deployment's template yet.
    return next((r.number for r in kube.rollout_history(DEPLOY) if r.current), None)


def kubectl_revisions(kubectl, info) -> list[int]:
    """The REVISION column of real `kubectl rollout history`."""
    result = kubectl(info, "rollout", "history", f"deploy/{DEPLOY}")
    assert result.returncode == 0, result.stderr
    return [int(line.split()[0]) for line in result.stdout.splitlines()
            if line.split() and line.split()[0].isdigit()]


def live_names(kube: Kube) -> set[str]:
    """Names of the Deployment's pods that are not terminating, listed fresh."""
    return {p["metadata"]["name"] for p in kube.list_pods(DEPLOY).items
            if not p["metadata"].get("deletionTimestamp")}


# ---- connecting ------------------------------------------------------------------------------

def test_connect_with_the_drill_kubeconfig(bad_release) -> None:
    _, info, kube = bad_release
    assert kube.target.context == "drill"
    assert kube.target.server == drill_kubeconfig(info)["clusters"][0]["cluster"]["server"]
    assert kube.target.user == "drill-user"
    assert kube.target.namespace == NS
    assert not kube.target.in_cluster
    assert kube.server_version().startswith("v1.")
    assert "context drill" in kube.target.describe()
    default = client.Configuration._default
    with Kube.connect(info.kubeconfig) as other:
        assert other.api_client.configuration is not kube.api_client.configuration
    assert client.Configuration._default is default  # the global default is never set


def test_connect_through_kubeconfig_env_skips_missing_files(drill, tmp_path, monkeypatch
                                                            ) -> None:
    _, info = drill("bad-release", speed=20)
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path / 'missing'}:{info.kubeconfig}")
    with Kube.connect() as kube:
        assert kube.target.server == drill_kubeconfig(info)["clusters"][0]["cluster"]["server"]
        assert kube.target.kubeconfig.startswith("KUBECONFIG=")
        assert len(kube.list_pods(DEPLOY).items) == 3


def test_connect_through_home_kube_config(drill, tmp_path, monkeypatch) -> None:
    _, info = drill("bad-release", speed=20)
    home = tmp_path / "home"
    (home / ".kube").mkdir(parents=True)
    (home / ".kube" / "config").write_text(Path(info.kubeconfig).read_text())
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(home))
    with Kube.connect(namespace="default") as kube:
        assert kube.target.namespace == "default"
        assert kube.target.kubeconfig == str(home / ".kube" / "config")


def two_context_kubeconfig(tmp_path: Path, info: Any) -> Path:
    """A kubeconfig whose current context points at a closed port; `drill` at the drill."""
    path = tmp_path / "two-contexts"
    drill = drill_kubeconfig(info)
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "dead",
        "clusters": [{"name": "dead", "cluster": {"server": "http://127.0.0.1:1"}},
                     {"name": "drill", "cluster": drill["clusters"][0]["cluster"]}],
        "users": [{"name": "u", "user": drill["users"][0]["user"]}],
        "contexts": [{"name": "dead", "context": {"cluster": "dead", "user": "u"}},
                     {"name": "drill", "context": {"cluster": "drill", "user": "u",
                                                   "namespace": "kube-system"}}]}))
    return path


def test_context_and_namespace_overrides(drill, tmp_path) -> None:
    _, info = drill("bad-release", speed=20)
    path = two_context_kubeconfig(tmp_path, info)
    with Kube.connect(path, context="drill") as kube:
        assert (kube.target.context, kube.target.namespace) == ("drill", "kube-system")
    with Kube.connect(path, context="drill", namespace=NS) as kube:
        assert kube.target.namespace == NS
        assert kube.rollout_history(DEPLOY)
    with Kube.connect(path) as kube:
        assert (kube.target.context, kube.target.namespace) == ("dead", "default")
        with pytest.raises(KubeError) as caught:
            kube.list_pods(DEPLOY, namespace=NS)
    assert caught.value.reason == "Unreachable"
    assert "cannot reach the API server at http://127.0.0.1:1 (context dead)" in str(caught.value)


def test_connect_errors_are_clear(tmp_path, monkeypatch, drill) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(KubeError) as caught:
        Kube.connect(missing)
    assert str(missing) in str(caught.value) and caught.value.reason == "Config"
    _, info = drill("bad-release", speed=20)
    with pytest.raises(KubeError) as caught:
        Kube.connect(info.kubeconfig, context="prod-eu")
    assert 'context "prod-eu" not found' in str(caught.value)
    assert "available: drill" in str(caught.value)
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "empty-home"))
    with pytest.raises(KubeError) as caught:
        Kube.connect()
    assert "no kubeconfig found" in str(caught.value)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "a") + ":" + str(tmp_path / "b"))
    with pytest.raises(KubeError) as caught:
        Kube.connect()
    assert "none of the files in KUBECONFIG exist" in str(caught.value)


# ---- pods --------------------------------------------------------------------------------------

def test_list_pods_returns_raw_dicts_of_the_deployment(bad_release) -> None:
    _, _, kube = bad_release
    pods = kube.list_pods(DEPLOY)
    assert pods.selector == "app=checkout"
    assert pods.resource_version.isdigit()
    assert len(pods.items) == 3 and pods.pages == 1
    for pod in pods.items:
        assert isinstance(pod, dict)
        assert pod["metadata"]["labels"]["app"] == "checkout"
        assert pod["spec"]["containers"][0]["image"].startswith(IMAGE)


@pytest.mark.slow
def test_list_pods_pages_through_5000_pods(drill) -> None:
    _, info = drill("scale-5000", speed=20)
    with Kube.connect(info.kubeconfig) as kube:
        pods = kube.list_pods("fleet")
    assert len(pods.items) == 5000
    assert pods.pages == 10
    assert len({p["metadata"]["name"] for p in pods.items}) == 5000


# ---- history, diff, undo ---------------------------------------------------------------------

def test_history_and_diff_of_bad_release(bad_release) -> None:
    _, _, kube = bad_release
    history = kube.rollout_history(DEPLOY)
    assert [r.number for r in history] == [1, 2, 3]
    assert [r.current for r in history] == [False, False, True]
    assert history[2].change_cause == "deploy checkout 2.4.0: new payment client"
    assert history[1].images == [IMAGE + "2.3.1"]
    assert all(r.replicaset.startswith("checkout-") and r.created for r in history)
    diff = kube.revision_diff(DEPLOY)
    assert (diff.from_revision, diff.to_revision) == (3, 2)
    assert diff.images == [f"checkout: {IMAGE}2.4.0 → {IMAGE}2.3.1"]
    assert not diff.env and not diff.probes and not diff.resources
    assert kube.revision_diff(DEPLOY, to_revision=1).to_revision == 1


def test_undo_to_the_previous_revision(bad_release, kubectl) -> None:
    _, info, kube = bad_release
    result = kube.rollout_undo(DEPLOY)
    assert result.changed and (result.from_revision, result.to_revision) == (3, 2)
    assert result.patch[0]["path"] == "/spec/template"
    assert "pod-template-hash" not in result.patch[0]["value"]["metadata"]["labels"]
    progress = kube.rollout_status(DEPLOY, timeout=30, min_generation=result.generation)
    assert progress.done and progress.updated == 3
    wait_for("revision 2 renumbered to 4", lambda: current_revision(kube) == 4)
    assert [r.number for r in kube.rollout_history(DEPLOY)] == [1, 3, 4]
    deployment = raw_apps(kube).read_namespaced_deployment(DEPLOY, NS)
    assert deployment.spec.template.spec.containers[0].image == IMAGE + "2.3.1"
    assert deployment.metadata.annotations["kubernetes.io/change-cause"] == (
        "deploy checkout 2.3.1")
    assert kubectl_revisions(kubectl, info) == [1, 3, 4]


def test_undo_to_a_given_revision(bad_release, kubectl) -> None:
    _, info, kube = bad_release
    result = kube.rollout_undo(DEPLOY, to_revision=1)
    assert result.changed and result.to_revision == 1
    kube.rollout_status(DEPLOY, timeout=30, min_generation=result.generation)
    wait_for("revision 1 renumbered to 4", lambda: current_revision(kube) == 4)
    history = kube.rollout_history(DEPLOY)
    assert [r.number for r in history] == [2, 3, 4]
    assert history[-1].images == [IMAGE + "2.2.0"]
    assert kubectl_revisions(kubectl, info) == [2, 3, 4]


def test_undo_noop_missing_revision_and_dry_run(bad_release) -> None:
    _, _, kube = bad_release
    same = kube.rollout_undo(DEPLOY, to_revision=3)
    assert not same.changed
    assert same.message == ("already at revision 3 (current template already matches revision "
                            "3); nothing to roll back")
    with pytest.raises(KubeError) as caught:
        kube.rollout_undo(DEPLOY, to_revision=9)
    assert "unable to find specified revision 9 in history" in str(caught.value)
    generation = raw_apps(kube).read_namespaced_deployment(DEPLOY, NS).metadata.generation
    dry = kube.rollout_undo(DEPLOY, dry_run=True)
    assert dry.changed and dry.dry_run and "dryRun=All" in dry.request
    after = raw_apps(kube).read_namespaced_deployment(DEPLOY, NS)
    assert after.metadata.generation == generation
    assert after.spec.template.spec.containers[0].image == IMAGE + "2.4.0"


def test_undo_of_a_paused_deployment(bad_release) -> None:
    _, _, kube = bad_release
    raw_apps(kube).patch_namespaced_deployment(DEPLOY, NS, {"spec": {"paused": True}})
    with pytest.raises(KubeError) as caught:
        kube.rollout_undo(DEPLOY)
    assert caught.value.reason == "Paused" and "resume it first" in str(caught.value)
    result = kube.rollout_undo(DEPLOY, resume_paused=True)
    assert result.resumed and result.changed
    assert not raw_apps(kube).read_namespaced_deployment(DEPLOY, NS).spec.paused
    assert kube.rollout_status(DEPLOY, timeout=30, min_generation=result.generation).done


# ---- rollout status --------------------------------------------------------------------------

def wait_for_deadline(kube: Kube) -> None:
    """Until the stuck rollout's Progressing condition says ProgressDeadlineExceeded."""
    def exceeded() -> bool:
        status = raw_apps(kube).read_namespaced_deployment(DEPLOY, NS).status
        return any(c.reason == "ProgressDeadlineExceeded" for c in status.conditions or [])
    wait_for("ProgressDeadlineExceeded", exceeded)


def test_stuck_rollout_rolled_back_is_judged_on_fresh_status(drill) -> None:
    _, info = drill("stuck-rollout", speed=20)
    with Kube.connect(info.kubeconfig) as kube:
        wait_for_deadline(kube)
        generation = raw_apps(kube).read_namespaced_deployment(DEPLOY, NS).metadata.generation
        # Status that has not caught up with the wanted generation is never a verdict.
        with pytest.raises(KubeError) as caught:
            kube.rollout_status(DEPLOY, timeout=1.0, min_generation=generation + 1)
        assert caught.value.reason == "Timeout"
        result = kube.rollout_undo(DEPLOY)
        assert result.to_revision == 1 and result.generation > generation
        seen: list[str] = []
        progress = kube.rollout_status(DEPLOY, timeout=30, min_generation=result.generation,
                                       on_progress=lambda p: seen.append(p.message))
        assert progress.done and progress.observed_generation >= result.generation
        assert seen[-1] == 'deployment "checkout" successfully rolled out'
        assert raw_apps(kube).read_namespaced_deployment(DEPLOY, NS).spec.template.spec \
            .containers[0].image == IMAGE + "2.4.1"


def test_rollout_status_reports_the_progress_deadline(drill) -> None:
    _, info = drill("stuck-rollout", speed=20)
    with Kube.connect(info.kubeconfig) as kube, pytest.raises(KubeError) as caught:
        kube.rollout_status(DEPLOY, timeout=30)
    assert caught.value.reason == "ProgressDeadlineExceeded"
    assert 'deployment "checkout" in namespace "production" exceeded its progress deadline' in (
        str(caught.value))


def test_rollout_status_timeout_names_what_is_missing(drill) -> None:
    _, info = drill("stuck-rollout", speed=1)
    seen: list[str] = []
    with Kube.connect(info.kubeconfig) as kube:
        started = time.monotonic()
        with pytest.raises(KubeError) as caught:
            kube.rollout_status(DEPLOY, timeout=1.0, on_progress=lambda p: seen.append(p.message))
        assert time.monotonic() - started < 3.0
    assert caught.value.reason == "Timeout"
    assert "did not finish within 1s" in str(caught.value)
    assert "old replicas still running" in str(caught.value)
    assert seen and seen[0].startswith('Waiting for deployment "checkout" rollout to finish')


def test_rollout_status_stops_when_asked(drill) -> None:
    _, info = drill("stuck-rollout", speed=1)
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    with Kube.connect(info.kubeconfig) as kube:
        started = time.monotonic()
        with pytest.raises(KubeError) as caught:
            kube.rollout_status(DEPLOY, timeout=30, stop=stop)
        assert time.monotonic() - started < 1.5
    assert caught.value.reason == "Cancelled"


# ---- other operations ------------------------------------------------------------------------

def test_scale_to_zero_and_back(bad_release) -> None:
    _, _, kube = bad_release
    assert kube.scale(DEPLOY, 0, dry_run=True) == 3
    assert raw_apps(kube).read_namespaced_deployment(DEPLOY, NS).spec.replicas == 3
    assert kube.scale(DEPLOY, 0) == 3
    wait_for("no pods left", lambda: not kube.list_pods(DEPLOY).items)
    assert kube.scale(DEPLOY, 3) == 0
    wait_for("three pods again", lambda: len(live_names(kube)) == 3)


def test_switch_service_selector_requires_ready_pods(drill) -> None:
    _, info = drill("stuck-rollout", speed=20)
    with Kube.connect(info.kubeconfig) as kube:
        healthy, broken = kube.rollout_history(DEPLOY)
        healthy_hash = healthy.template["metadata"]["labels"]["pod-template-hash"]
        broken_hash = broken.template["metadata"]["labels"]["pod-template-hash"]
        with pytest.raises(KubeError) as caught:
            kube.switch_service_selector(DEPLOY, {"track": "green"})
        assert caught.value.reason == "NotReady" and "no pods match" in str(caught.value)
        with pytest.raises(KubeError) as caught:
            kube.switch_service_selector(DEPLOY, {"pod-template-hash": broken_hash})
        assert caught.value.reason == "NotReady" and "not Ready" in str(caught.value)
        wanted = {"pod-template-hash": healthy_hash}
        assert kube.switch_service_selector(DEPLOY, wanted, dry_run=True) == {"app": "checkout"}
        assert raw_core(kube).read_namespaced_service(DEPLOY, NS).spec.selector == {
            "app": "checkout"}
        assert kube.switch_service_selector(DEPLOY, wanted) == {"app": "checkout"}
        assert raw_core(kube).read_namespaced_service(DEPLOY, NS).spec.selector == {
            "app": "checkout", "pod-template-hash": healthy_hash}


def test_set_env_creates_a_new_revision(bad_release) -> None:
    _, _, kube = bad_release
    change = kube.set_env(DEPLOY, {"PAYMENT_CLIENT": "v1"})
    assert change.old == {"checkout": {"PAYMENT_CLIENT": None}}
    wait_for("revision 4", lambda: current_revision(kube) == 4)
    diff = kube.revision_diff(DEPLOY, to_revision=3)
    assert diff.env == ["checkout: - PAYMENT_CLIENT (removed, was 'v1')"]
    again = kube.set_env(DEPLOY, {"PAYMENT_CLIENT": "v2"}, container="checkout")
    assert again.old == {"checkout": {"PAYMENT_CLIENT": "v1"}}
    assert again.generation > change.generation
    with pytest.raises(KubeError) as caught:
        kube.set_env(DEPLOY, {"X": "1"}, container="sidecar")
    assert 'no container "sidecar"' in str(caught.value)


def test_patch_configmap_returns_old_values(bad_release) -> None:
    _, _, kube = bad_release
    old = kube.patch_configmap("checkout-flags", {"new-checkout": "true", "extra": "1"})
    assert old == {"new-checkout": "false", "extra": None}
    data = raw_core(kube).read_namespaced_config_map("checkout-flags", NS).data
    assert data == {"new-checkout": "true", "extra": "1"}
    kube.patch_configmap("checkout-flags", {"extra": None})
    assert "extra" not in raw_core(kube).read_namespaced_config_map("checkout-flags", NS).data


def test_snapshot_is_multi_document_yaml(bad_release, tmp_path) -> None:
    _, _, kube = bad_release
    kube.scale(DEPLOY, 2)  # leaves ScalingReplicaSet events behind
    wait_for("two pods", lambda: len(live_names(kube)) == 2)
    for deployment, name in ((None, "all.yaml"), (DEPLOY, "checkout.yaml")):
        path = kube.snapshot(tmp_path / "incident", deployment=deployment, filename=name)
        documents = list(yaml.safe_load_all(path.read_text()))
        kinds = {d["kind"] for d in documents}
        assert kinds == {"Deployment", "ReplicaSet", "Pod", "Service", "Event"}, kinds
        assert all("managedFields" not in d["metadata"] for d in documents)
        assert sum(d["kind"] == "ReplicaSet" for d in documents) == 3


def test_can_i_with_and_without_permission(bad_release) -> None:
    cluster, _, kube = bad_release
    needed = sorted({p for spec in ACTIONS.values() for p in spec.permissions},
                    key=Permission.label)
    assert all(check.allowed for check in kube.can_i(needed))
    cluster.faults.apply("deny=patch:deployments")
    checks = {c.permission: c for c in kube.can_i(needed)}
    assert not checks[Permission("patch", "deployments", "apps")].allowed
    assert "deny=patch:deployments" in checks[Permission("patch", "deployments", "apps")].reason
    assert checks[Permission("get", "deployments", "apps")].allowed


def test_forbidden_patch_names_verb_resource_and_namespace(bad_release) -> None:
    cluster, _, kube = bad_release
    cluster.faults.apply("deny=patch:deployments")
    with pytest.raises(KubeError) as caught:
        kube.rollout_undo(DEPLOY)
    error = caught.value
    assert (error.status, error.reason, error.verb) == (403, "Forbidden", "patch")
    assert (error.resource, error.name, error.namespace) == ("deployments.apps", DEPLOY, NS)
    assert str(error) == ('forbidden: cannot patch deployments.apps "checkout" in namespace '
                          '"production" — ask for the permission or use a context that has it')


def test_conflict_becomes_a_retry_advice(bad_release) -> None:
    cluster, _, kube = bad_release
    # A conflict on every attempt (each retry arms the next): the last one is reported.
    cluster.faults.apply("conflict-next-write")

    def rearm(_info: dict) -> None:
        cluster.faults.apply("conflict-next-write")

    with retry_scope(threading.Event(), rearm), pytest.raises(KubeError) as caught:
        kube.rollout_undo(DEPLOY)
    assert (caught.value.status, caught.value.reason) == (409, "Conflict")
    assert "retry" in str(caught.value)
    cluster.faults.clear()
    assert kube.rollout_undo(DEPLOY).changed  # the conflicts were injected


def test_server_errors_and_timeouts_become_kube_errors(bad_release) -> None:
    cluster, info, kube = bad_release
    cluster.faults.apply("error-rate=1.0")
    with pytest.raises(KubeError) as caught:
        kube.rollout_history(DEPLOY)
    assert caught.value.status == 500
    assert "server error 500" in str(caught.value) and "injected fault" in str(caught.value)
    cluster.faults.clear()
    cluster.faults.apply("latency=1s")
    with Kube.connect(info.kubeconfig, request_timeout=0.3) as slow, \
            pytest.raises(KubeError) as caught:
        slow.list_pods(DEPLOY)
    assert caught.value.reason == "Timeout" and "timed out after 0.3s" in str(caught.value)
    with pytest.raises(KubeError) as caught:
        kube.rollout_history("no-such-deployment")
    assert caught.value.status == 404 and "not found" in str(caught.value)
    with pytest.raises(KubeError) as caught:
        kube.list_pods("")
    assert caught.value.reason == "Invalid"


def test_gitops_manager_detection(bad_release) -> None:
    _, _, kube = bad_release
    assert kube.gitops_manager(DEPLOY) is None
    raw_apps(kube).patch_namespaced_deployment(DEPLOY, NS, {"metadata": {
        "labels": {"app.kubernetes.io/instance": "checkout-prod"},
        "annotations": {"argocd.argoproj.io/tracking-id":
                        "checkout-prod:apps/Deployment:production/checkout"}}})
    argo = kube.gitops_manager(DEPLOY)
    assert argo is not None and (argo.tool, argo.app) == ("argocd", "checkout-prod")
    assert argo.suspend == "argocd app set checkout-prod --sync-policy none"
    raw_apps(kube).patch_namespaced_deployment(DEPLOY, NS, {"metadata": {
        "labels": {"app.kubernetes.io/instance": None,
                   "kustomize.toolkit.fluxcd.io/name": "apps",
                   "kustomize.toolkit.fluxcd.io/namespace": "flux-system"},
        "annotations": {"argocd.argoproj.io/tracking-id": None}}})
    flux = kube.gitops_manager(DEPLOY)
    assert flux is not None and flux.tool == "flux"
    assert flux.suspend == "flux suspend kustomization apps -n flux-system"


# ---- pure helpers ----------------------------------------------------------------------------

def test_label_selector_strings() -> None:
    assert label_selector({"matchLabels": {"b": "2", "a": "1"}, "matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["web", "api"]},
        {"key": "canary", "operator": "DoesNotExist"},
        {"key": "zone", "operator": "NotIn", "values": ["x"]},
        {"key": "team", "operator": "Exists"}]}) == (
        "a=1,b=2,!canary,team,tier in (api,web),zone notin (x)")
    assert label_selector(None) == ""


def test_judge_uses_kubectl_messages_and_freshness() -> None:
    base = {"metadata": {"name": "x", "generation": 5}, "spec": {"replicas": 3}}
    stale = {**base, "status": {"observedGeneration": 4, "replicas": 3, "updatedReplicas": 3,
                                "readyReplicas": 3, "availableReplicas": 3}}
    assert judge(stale).message == "Waiting for deployment spec update to be observed..."
    fresh = {**stale, "status": {**stale["status"], "observedGeneration": 5}}
    assert judge(fresh).done and not judge(fresh, min_generation=6).done
    rolling = {**base, "status": {"observedGeneration": 5, "replicas": 4, "updatedReplicas": 3,
                                  "readyReplicas": 3, "availableReplicas": 2}}
    assert judge(rolling).message.endswith("1 old replicas are pending termination...")


def test_diff_covers_env_config_probes_and_resources() -> None:
    def template(**container: Any) -> dict[str, Any]:
        return {"metadata": {"labels": {"app": "a", "pod-template-hash": container.pop("h")}},
                "spec": {"containers": [{"name": "app", "image": "img:1", **container}]}}
    old = template(h="1", env=[{"name": "A", "value": "1"}, {"name": "DB_PASSWORD", "value": "s"},
                               {"name": "GONE", "value": "x"}],
                   envFrom=[{"configMapRef": {"name": "cfg-v1"}}],
                   readinessProbe={"httpGet": {"path": "/h", "port": 80}},
                   resources={"limits": {"cpu": "1"}})
    new = template(h="2", env=[{"name": "A", "value": "2"}, {"name": "DB_PASSWORD", "value": "t"},
                               {"name": "NEW", "valueFrom": {"secretKeyRef": {"name": "s",
                                                                              "key": "k"}}}],
                   envFrom=[{"configMapRef": {"name": "cfg-v2"}}],
                   resources={"limits": {"cpu": "2"}})
    diff = diff_templates(old, new, 5, 4)
    assert diff.env == ["app: ~ A: '1' → '2'", "app: ~ DB_PASSWORD: (hidden) → (hidden)",
                        "app: - GONE (removed, was 'x')", "app: + NEW=from secret s key k (added)"]
    assert diff.config_refs == ["- configMap cfg-v1 (envFrom of app)",
                                "+ configMap cfg-v2 (envFrom of app)",
                                "+ secret s (env NEW of app)"]
    assert diff.probes == ["app readinessProbe: httpGet :80/h → none"]
    assert diff.resources == ["app: limits cpu 1 → 2"]
    assert same_template(template(h="1", resources={}), template(h="9"))
