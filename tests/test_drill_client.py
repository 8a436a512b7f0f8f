"""The drill cluster through the official Python client (kubernetes 37.x) over real HTTP.

Typed calls go through the client's strict (pydantic) models, so a wrong type, a missing required
field or a wrong content type in a drill answer fails here. The runbook flows are written the way
kubectl performs them; the watch tests are written the way an informer-like consumer would.
"""

from __future__ import annotations

import gc
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from conftest import wait_for as shared_wait_for
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

NS = "production"
DEPLOY = "checkout"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
CHANGE_CAUSE = "kubernetes.io/change-cause"
HASH_LABEL = "pod-template-hash"
# kubectl's rollout undo keeps these from the deployment and takes the rest from the ReplicaSet.
UNDO_SKIPPED = {"kubectl.kubernetes.io/last-applied-configuration", REVISION, REVISION_HISTORY,
                "deployment.kubernetes.io/desired-replicas",
                "deployment.kubernetes.io/max-replicas",
                "deprecated.deployment.rollback.to"}
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


@dataclass
class Kube:
    """A drill cluster and official clients for it."""

    cluster: Any
    info: Any
    api: client.ApiClient
    core: client.CoreV1Api
    apps: client.AppsV1Api
    auth: client.AuthorizationV1Api


def new_api(info: Any) -> client.ApiClient:
    """A fresh ApiClient from the drill's kubeconfig (no global configuration touched)."""
    return config.new_client_from_config(config_file=info.kubeconfig)


@pytest.fixture
def kube(drill) -> Iterator[Kube]:
    cluster, info = drill("bad-release", speed=20)
    api = new_api(info)
    yield Kube(cluster, info, api, client.CoreV1Api(api), client.AppsV1Api(api),
               client.AuthorizationV1Api(api))
    api.close()


def wait_for(what: str, check: Callable[[], Any], timeout: float = 15.0,
             every: float = 0.1) -> Any:
    """Poll check() until it returns something truthy (the shared helper, this file's timeout)."""
    return shared_wait_for(what, check, timeout, every)


# ---- strict deserialisation ----------------------------------------------------------------
def _normal(value: Any) -> Any:
    """JSON as the models see it: nulls dropped, timestamps parsed."""
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, str) and STAMP.match(value):
        return datetime.fromisoformat(value)
    return value


def _differences(raw: Any, typed: Any, path: str = "") -> list[str]:
    if isinstance(raw, dict) and isinstance(typed, dict):
        out = []
        for key in sorted(set(raw) | set(typed)):
            if key not in typed:
                out.append(f"{path}/{key}: dropped by the model (unknown field?)")
            elif key not in raw:
                out.append(f"{path}/{key}: added by the model")
            else:
                out += _differences(raw[key], typed[key], f"{path}/{key}")
        return out
    if isinstance(raw, list) and isinstance(typed, list) and len(raw) == len(typed):
        return [d for i, (a, b) in enumerate(zip(raw, typed, strict=True))
                for d in _differences(a, b, f"{path}/{i}")]
    if raw != typed or type(raw) is not type(typed):
        return [f"{path}: {raw!r} != {typed!r}"]
    return []


def round_trip(kube: Kube, call: Callable[..., Any], model: type, *args: Any,
               **kwargs: Any) -> Any:
    """Fetch raw bytes once, deserialise them into `model`, and require a lossless round trip.

    The models ignore keys they do not know, so a misspelled field would vanish silently; the
    comparison with the raw JSON catches that, and a wrong JSON type fails validation.
    """
    resp = call(*args, _preload_content=False, **kwargs)
    content_type = resp.headers.get("Content-Type")
    assert content_type == "application/json", (call.__name__, content_type)
    text = resp.data.decode()
    typed = kube.api.deserialize(text, model.__name__, content_type)
    assert isinstance(typed, model)
    diffs = _differences(_normal(json.loads(text)),
                         _normal(kube.api.sanitize_for_serialization(typed)))
    assert not diffs, f"{call.__name__}: {diffs[:10]}"
    return typed


def _owned_by(obj: Any, owner: Any) -> bool:
    return any(ref.controller and ref.uid == owner.metadata.uid and ref.kind == owner.kind
               for ref in obj.metadata.owner_references or [])


def test_every_kind_deserialises_strictly(kube: Kube) -> None:
    core, apps = kube.core, kube.apps
    lists = [
        (core.list_namespaced_pod, core.list_pod_for_all_namespaces, client.V1PodList),
        (apps.list_namespaced_deployment, apps.list_deployment_for_all_namespaces,
         client.V1DeploymentList),
        (apps.list_namespaced_replica_set, apps.list_replica_set_for_all_namespaces,
         client.V1ReplicaSetList),
        (core.list_namespaced_service, core.list_service_for_all_namespaces,
         client.V1ServiceList),
        (core.list_namespaced_config_map, core.list_config_map_for_all_namespaces,
         client.V1ConfigMapList),
        (core.list_namespaced_event, core.list_event_for_all_namespaces,
         client.CoreV1EventList),
    ]
    for namespaced, everywhere, model in lists:
        for listed in (namespaced(NS), everywhere()):
            assert isinstance(listed, model)
            assert isinstance(listed.metadata.resource_version, str)
            assert isinstance(listed.items, list) and listed.items, model.__name__
            for item in listed.items:
                assert isinstance(item.metadata.resource_version, str)
                assert isinstance(item.metadata.uid, str)
                assert item.metadata.namespace == NS
        round_trip(kube, namespaced, model, NS)
        round_trip(kube, everywhere, model)
    namespaces = core.list_namespace()
    assert isinstance(namespaces, client.V1NamespaceList)
    assert {"default", "kube-system", NS} <= {n.metadata.name for n in namespaces.items}
    assert all(n.status.phase == "Active" for n in namespaces.items)
    round_trip(kube, core.list_namespace, client.V1NamespaceList)
    assert core.read_namespace(NS).metadata.name == NS

    deployment = apps.read_namespaced_deployment(DEPLOY, NS)
    assert isinstance(deployment, client.V1Deployment)
    assert deployment.spec.selector.match_labels == {"app": DEPLOY}
    assert isinstance(deployment.spec.replicas, int) and deployment.spec.replicas == 3
    assert isinstance(deployment.metadata.generation, int)
    assert isinstance(deployment.status.observed_generation, int)
    assert deployment.metadata.annotations[REVISION] == "3"
    port = deployment.spec.template.spec.containers[0].ports[0]
    assert isinstance(port.container_port, int) and port.protocol == "TCP"
    round_trip(kube, apps.read_namespaced_deployment, client.V1Deployment, DEPLOY, NS)

    rses = apps.list_namespaced_replica_set(NS).items
    assert len(rses) == 3
    for rs in rses:
        assert isinstance(rs.status.replicas, int)
        assert isinstance(rs.spec.replicas, int)
        assert rs.spec.selector.match_labels[HASH_LABEL] == rs.metadata.labels[HASH_LABEL]
        assert _owned_by(rs, deployment)
        ref = rs.metadata.owner_references[0]
        assert (ref.api_version, ref.kind, ref.name) == ("apps/v1", "Deployment", DEPLOY)
        assert ref.block_owner_deletion is True
    live = [rs for rs in rses if rs.spec.replicas]
    assert [rs.metadata.annotations[REVISION] for rs in live] == ["3"]

    pods = core.list_namespaced_pod(NS).items
    assert len(pods) == 3
    for pod in pods:
        assert any(_owned_by(pod, rs) for rs in live)
        assert pod.spec.containers[0].name == DEPLOY
        assert pod.status.phase in ("Pending", "Running")
        assert {c.type for c in pod.status.conditions or []} >= {"Ready", "PodScheduled"}
        for status in pod.status.container_statuses or []:
            assert isinstance(status.restart_count, int)
            assert isinstance(status.ready, bool)
            assert status.image.endswith(":2.4.0") and status.image_id
        full = core.read_namespaced_pod(pod.metadata.name, NS)
        assert full.metadata.uid == pod.metadata.uid
        round_trip(kube, core.read_namespaced_pod, client.V1Pod, pod.metadata.name, NS)

    service = core.read_namespaced_service(DEPLOY, NS)
    assert service.spec.selector == {"app": DEPLOY}
    assert isinstance(service.spec.ports[0].port, int)
    assert service.spec.ports[0].target_port == 8080
    round_trip(kube, core.read_namespaced_service, client.V1Service, DEPLOY, NS)
    flags = core.read_namespaced_config_map("checkout-flags", NS)
    assert flags.data == {"new-checkout": "false"}

    events = core.list_namespaced_event(NS).items
    for event in events:
        assert event.involved_object.name and event.involved_object.kind
        assert event.count is None or isinstance(event.count, int)
    created = core.list_namespaced_event(NS, field_selector="involvedObject.kind=ReplicaSet,"
                                                            "reason=SuccessfulCreate").items
    assert created and all(e.involved_object.kind == "ReplicaSet" for e in created)
    assert all(e.message.startswith("Created pod: ") for e in created)

    scale = apps.read_namespaced_deployment_scale(DEPLOY, NS)
    assert isinstance(scale, client.V1Scale)
    assert scale.spec.replicas == 3 and isinstance(scale.status.replicas, int)
    assert scale.status.selector == f"app={DEPLOY}"
    assert scale.metadata.name == DEPLOY
    round_trip(kube, apps.read_namespaced_deployment_scale, client.V1Scale, DEPLOY, NS)


def _review(verb: str, resource: str, group: str = "") -> client.V1SelfSubjectAccessReview:
    return client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(
        resource_attributes=client.V1ResourceAttributes(verb=verb, resource=resource,
                                                        group=group, namespace=NS)))


def _status_of(kube: Kube, exc: ApiException) -> client.V1Status:
    assert exc.headers["Content-Type"] == "application/json"
    status = kube.api.deserialize(exc.body, "V1Status", "application/json")
    assert isinstance(status, client.V1Status)
    assert (status.kind, status.status, status.code) == ("Status", "Failure", exc.status)
    return status


def test_access_review_logs_and_status_errors(kube: Kube) -> None:
    core, apps = kube.core, kube.apps
    review = kube.auth.create_self_subject_access_review(_review("patch", "deployments", "apps"))
    assert isinstance(review, client.V1SelfSubjectAccessReview)
    assert review.status.allowed is True
    # Regression: the answer names its kind, as the API server's always does.
    assert (review.api_version, review.kind) == ("authorization.k8s.io/v1",
                                                 "SelfSubjectAccessReview")
    assert review.spec.resource_attributes.verb == "patch"

    pod = core.list_namespaced_pod(NS).items[0].metadata.name
    # The previous container's log: the crash-looping pod's last run, up to its panic.
    log = core.read_namespaced_pod_log(pod, NS, container=DEPLOY, previous=True)
    assert isinstance(log, str) and f"starting {pod}" in log and "panic" in log
    tail = core.read_namespaced_pod_log(pod, NS, tail_lines=2, previous=True)
    assert len(tail.splitlines()) == 2 and tail.splitlines()[-1].endswith(
        "panic: nil pointer dereference in payment client")
    raw = core.read_namespaced_pod_log(pod, NS, _preload_content=False)
    assert raw.headers["Content-Type"].startswith("text/plain")

    with pytest.raises(ApiException) as missing:
        core.read_namespaced_pod("no-such-pod", NS)
    status = _status_of(kube, missing.value)
    assert missing.value.status == 404 and status.reason == "NotFound"
    assert status.details.name == "no-such-pod" and status.details.kind == "pods"
    with pytest.raises(ApiException) as missing_scale:
        kube.apps.read_namespaced_deployment_scale("nope", NS)
    assert missing_scale.value.status == 404

    with pytest.raises(ApiException) as exists:
        core.create_namespaced_config_map(NS, client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name="checkout-flags"), data={"a": "b"}))
    assert exists.value.status == 409 and _status_of(kube, exists.value).reason == "AlreadyExists"

    kube.cluster.faults.apply("deny=patch:deployments")
    denied = kube.auth.create_self_subject_access_review(_review("patch", "deployments", "apps"))
    assert denied.status.allowed is False and denied.status.denied is True
    assert kube.auth.create_self_subject_access_review(
        _review("get", "deployments", "apps")).status.allowed is True
    with pytest.raises(ApiException) as forbidden:
        apps.patch_namespaced_deployment(DEPLOY, NS, {"spec": {"replicas": 4}})
    status = _status_of(kube, forbidden.value)
    assert forbidden.value.status == 403 and status.reason == "Forbidden"
    assert 'cannot patch resource "deployments" in API group "apps"' in status.message
    assert apps.read_namespaced_deployment(DEPLOY, NS).spec.replicas == 3


# ---- runbook flows -------------------------------------------------------------------------
def rollout_history(kube: Kube) -> tuple[client.V1Deployment, list[client.V1ReplicaSet]]:
    """The deployment and its ReplicaSets, oldest revision first (kubectl rollout history)."""
    deployment = kube.apps.read_namespaced_deployment(DEPLOY, NS)
    labels = deployment.spec.selector.match_labels
    selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    rses = kube.apps.list_namespaced_replica_set(NS, label_selector=selector).items
    owned = [rs for rs in rses if _owned_by(rs, deployment)]
    return deployment, sorted(owned, key=lambda rs: int(rs.metadata.annotations[REVISION]))


def revisions(kube: Kube) -> list[int]:
    return [int(rs.metadata.annotations[REVISION]) for rs in rollout_history(kube)[1]]


def rollout_undo(kube: Kube, to_revision: int = 0, dry_run: str | None = None
                 ) -> client.V1Deployment:
    """`kubectl rollout undo [--to-revision=N]`: a JSON patch of template and annotations."""
    deployment, rses = rollout_history(kube)
    if to_revision == 0:
        target = rses[-2]
    else:
        target = next(rs for rs in rses if rs.metadata.annotations[REVISION] == str(to_revision))
    template = kube.api.sanitize_for_serialization(target.spec.template)
    del template["metadata"]["labels"][HASH_LABEL]
    current = deployment.metadata.annotations or {}
    annotations = {k: v for k, v in current.items() if k in UNDO_SKIPPED}
    annotations.update({k: v for k, v in (target.metadata.annotations or {}).items()
                        if k not in UNDO_SKIPPED})
    patch = [{"op": "replace", "path": "/spec/template", "value": template},
             {"op": "replace", "path": "/metadata/annotations", "value": annotations}]
    kwargs = {"dry_run": dry_run} if dry_run else {}
    return kube.apps.patch_namespaced_deployment(DEPLOY, NS, patch, **kwargs)


def image_of(obj: Any) -> str:
    return obj.spec.template.spec.containers[0].image


def test_rollout_history_and_undo_renumber_revisions(kube: Kube) -> None:
    deployment, rses = rollout_history(kube)
    assert revisions(kube) == [1, 2, 3]
    assert [rs.metadata.annotations[CHANGE_CAUSE] for rs in rses] == [
        "deploy checkout 2.2.0", "deploy checkout 2.3.1",
        "deploy checkout 2.4.0: new payment client"]
    by_revision = {int(rs.metadata.annotations[REVISION]): rs.metadata.name for rs in rses}
    generation = deployment.metadata.generation

    preview = rollout_undo(kube, dry_run="All")
    assert image_of(preview).endswith(":2.3.1")
    after = kube.apps.read_namespaced_deployment(DEPLOY, NS)
    assert image_of(after).endswith(":2.4.0") and after.metadata.generation == generation
    time.sleep(0.3)
    assert revisions(kube) == [1, 2, 3]

    undone = rollout_undo(kube)
    assert isinstance(undone, client.V1Deployment)
    assert image_of(undone).endswith(":2.3.1")
    assert undone.metadata.generation == generation + 1
    assert undone.metadata.annotations[CHANGE_CAUSE] == "deploy checkout 2.3.1"
    assert HASH_LABEL not in undone.spec.template.metadata.labels
    wait_for("revision 2 to come back as 4", lambda: revisions(kube) == [1, 3, 4])
    deployment, rses = rollout_history(kube)
    # The old ReplicaSet is reused (not a new one), renumbered, and remembers its number.
    assert rses[-1].metadata.name == by_revision[2]
    assert rses[-1].metadata.annotations[REVISION_HISTORY] == "2"
    wait_for("the deployment to follow",
             lambda: kube.apps.read_namespaced_deployment(DEPLOY, NS).metadata.annotations[
                 REVISION] == "4")

    rollout_undo(kube, to_revision=1)
    wait_for("revision 1 to come back as 5", lambda: revisions(kube) == [3, 4, 5])
    deployment, rses = rollout_history(kube)
    assert rses[-1].metadata.name == by_revision[1]
    assert image_of(deployment).endswith(":2.2.0")
    wait_for("status to observe the undo", lambda: (
        d := kube.apps.read_namespaced_deployment(DEPLOY, NS)).status.observed_generation
        == d.metadata.generation)


def test_scale_set_env_and_service_patches(kube: Kube) -> None:
    apps, core = kube.apps, kube.core
    scaled = apps.patch_namespaced_deployment_scale(DEPLOY, NS, {"spec": {"replicas": 4}})
    assert isinstance(scaled, client.V1Scale) and scaled.spec.replicas == 4
    wait_for("4 replicas", lambda: apps.read_namespaced_deployment_scale(
        DEPLOY, NS).status.replicas == 4)
    assert apps.read_namespaced_deployment(DEPLOY, NS).spec.replicas == 4

    before = apps.read_namespaced_deployment(DEPLOY, NS)
    body = {"spec": {"template": {"spec": {"containers": [
        {"name": DEPLOY, "env": [{"name": "PAYMENT_CLIENT", "value": "legacy"}]}]}}}}
    patched = apps.patch_namespaced_deployment(DEPLOY, NS, body)
    container = patched.spec.template.spec.containers[0]
    assert [(e.name, e.value) for e in container.env] == [("PAYMENT_CLIENT", "legacy")]
    assert container.image == before.spec.template.spec.containers[0].image
    assert container.ports[0].container_port == 8080
    assert container.resources.requests == {"cpu": "100m", "memory": "128Mi"}
    assert patched.metadata.generation == before.metadata.generation + 1
    wait_for("a fourth revision", lambda: revisions(kube) == [1, 2, 3, 4])
    newest = rollout_history(kube)[1][-1]
    assert newest.spec.template.spec.containers[0].env[0].name == "PAYMENT_CLIENT"
    # The same patch again changes nothing: no new resourceVersion, no new generation.
    again = apps.patch_namespaced_deployment(DEPLOY, NS, body)
    assert again.metadata.generation == patched.metadata.generation

    service = core.read_namespaced_service(DEPLOY, NS)
    added = core.patch_namespaced_service(DEPLOY, NS, {"spec": {"selector": {"track": "stable"}}})
    assert added.spec.selector == {"app": DEPLOY, "track": "stable"}
    assert int(added.metadata.resource_version) > int(service.metadata.resource_version)
    same = core.patch_namespaced_service(DEPLOY, NS, {"spec": {"selector": {"track": "stable"}}})
    assert same.metadata.resource_version == added.metadata.resource_version
    removed = core.patch_namespaced_service(DEPLOY, NS, {"spec": {"selector": {"track": None}}})
    assert removed.spec.selector == {"app": DEPLOY}
    assert removed.spec.ports[0].port == 80 and removed.spec.cluster_ip == service.spec.cluster_ip


def test_configmap_create_replace_delete_and_conflict(kube: Kube) -> None:
    core = kube.core
    made = core.create_namespaced_config_map(NS, client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="runbook-notes", labels={"team": "sre"}),
        data={"step": "1"}))
    assert isinstance(made, client.V1ConfigMap)
    assert (made.api_version, made.kind) == ("v1", "ConfigMap")
    assert made.metadata.namespace == NS and made.metadata.uid
    stale = core.read_namespaced_config_map("runbook-notes", NS)
    assert stale.metadata.resource_version == made.metadata.resource_version

    fresh = core.read_namespaced_config_map("runbook-notes", NS)
    fresh.data["step"] = "2"
    replaced = core.replace_namespaced_config_map("runbook-notes", NS, fresh)
    assert replaced.data == {"step": "2"} and replaced.metadata.uid == made.metadata.uid
    assert int(replaced.metadata.resource_version) > int(made.metadata.resource_version)

    stale.data["step"] = "stale"
    with pytest.raises(ApiException) as conflict:
        core.replace_namespaced_config_map("runbook-notes", NS, stale)
    status = _status_of(kube, conflict.value)
    assert conflict.value.status == 409 and status.reason == "Conflict"
    assert "the object has been modified" in status.message
    assert core.read_namespaced_config_map("runbook-notes", NS).data == {"step": "2"}

    # A patch that changes nothing keeps the resourceVersion.
    noop = core.patch_namespaced_config_map("runbook-notes", NS, {"data": {"step": "2"}})
    assert noop.metadata.resource_version == replaced.metadata.resource_version

    gone = core.delete_namespaced_config_map("runbook-notes", NS)  # typed `object` by the client
    status = kube.api.deserialize(json.dumps(gone), "V1Status", "application/json")
    assert (status.status, status.details.name) == ("Success", "runbook-notes")
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_config_map("runbook-notes", NS)
    assert missing.value.status == 404


def test_dry_run_all_changes_nothing(kube: Kube) -> None:
    core, apps = kube.core, kube.apps
    flags = core.read_namespaced_config_map("checkout-flags", NS)
    rv = flags.metadata.resource_version

    preview = core.patch_namespaced_config_map("checkout-flags", NS,
                                               {"data": {"new-checkout": "true"}}, dry_run="All")
    assert preview.data == {"new-checkout": "true"}
    flags.data["new-checkout"] = "maybe"
    replaced = core.replace_namespaced_config_map("checkout-flags", NS, flags, dry_run="All")
    assert replaced.data == {"new-checkout": "maybe"}
    deleted = core.delete_namespaced_config_map("checkout-flags", NS, dry_run="All")
    assert deleted["status"] == "Success"
    created = core.create_namespaced_config_map(NS, client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="dry"), data={"a": "b"}), dry_run="All")
    assert created.metadata.name == "dry"
    scale = apps.patch_namespaced_deployment_scale(DEPLOY, NS, {"spec": {"replicas": 9}},
                                                   dry_run="All")
    assert scale.spec.replicas == 9

    after = core.read_namespaced_config_map("checkout-flags", NS)
    assert after.data == {"new-checkout": "false"} and after.metadata.resource_version == rv
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_config_map("dry", NS)
    assert missing.value.status == 404
    assert apps.read_namespaced_deployment(DEPLOY, NS).spec.replicas == 3
    time.sleep(0.3)
    assert len(core.list_namespaced_pod(NS).items) == 3


# ---- raw fast path and paging --------------------------------------------------------------
def test_raw_list_and_paging_return_every_item_once(kube: Kube) -> None:
    core = kube.core
    resp = core.list_namespaced_pod(NS, _preload_content=False)
    assert isinstance(resp.data, bytes)
    assert resp.headers["Content-Type"] == "application/json"
    gc.disable()
    try:
        body = json.loads(resp.data)
    finally:
        gc.enable()
    assert body["kind"] == "PodList" and body["apiVersion"] == "v1"
    assert isinstance(body["metadata"]["resourceVersion"], str)
    typed = core.list_namespaced_pod(NS)
    assert sorted(p["metadata"]["name"] for p in body["items"]) == sorted(
        p.metadata.name for p in typed.items)

    for index in range(6):
        core.create_namespaced_config_map(NS, client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name=f"c-{index:02d}"), data={"i": str(index)}))
    everything = [c.metadata.name for c in core.list_namespaced_config_map(NS).items]
    assert everything == sorted(everything) and len(everything) == 7

    def pages(limit: int, between: Callable[[int], None] = lambda page: None) -> list[str]:
        names, token, page, first_rv = [], None, 0, None
        while True:
            kwargs = {"_continue": token} if token else {}
            listed = core.list_namespaced_config_map(NS, limit=limit, **kwargs)
            assert len(listed.items) <= limit
            # Every page answers for the first page's resourceVersion (watch from there).
            first_rv = first_rv or listed.metadata.resource_version
            assert listed.metadata.resource_version == first_rv
            names += [c.metadata.name for c in listed.items]
            token = listed.metadata._continue
            if not token:
                assert listed.metadata.remaining_item_count is None
                return names
            assert isinstance(listed.metadata.remaining_item_count, int)
            page += 1
            between(page)

    for limit in (1, 2, 3, 7, 100):
        assert pages(limit) == everything

    # Regression: a continue token names where the page ended, not an offset, so objects created
    # or deleted before that point while paging neither repeat nor push others out of the list.
    def churn(page: int) -> None:
        if page == 1:
            core.delete_namespaced_config_map("c-00", NS)
        if page == 2:
            for name in ("a-early", "b-early"):
                core.create_namespaced_config_map(NS, client.V1ConfigMap(
                    metadata=client.V1ObjectMeta(name=name), data={}))

    seen = pages(2, churn)
    assert len(seen) == len(set(seen)), seen
    assert set(everything) - {"c-00"} <= set(seen), seen

    all_pods = []
    token = None
    while True:
        kwargs = {"_continue": token} if token else {}
        listed = core.list_pod_for_all_namespaces(limit=1, **kwargs)
        all_pods += [p.metadata.name for p in listed.items]
        token = listed.metadata._continue
        if not token:
            break
    assert sorted(all_pods) == sorted(p.metadata.name for p in typed.items)


# ---- watches -------------------------------------------------------------------------------
def _name(event: dict[str, Any]) -> str:
    return event["object"].metadata.name


def test_watch_sees_a_deleted_pod_modified_deleted_and_replaced(kube: Kube) -> None:
    core = kube.core
    listed = core.list_namespaced_pod(NS)
    start = int(listed.metadata.resource_version)
    names = {p.metadata.name for p in listed.items}
    victim = min(names)
    deleting = core.delete_namespaced_pod(victim, NS)
    assert isinstance(deleting, client.V1Pod) and deleting.metadata.deletion_timestamp

    seen: list[tuple[str, str]] = []
    rvs: list[int] = []
    w = watch.Watch()
    for event in w.stream(core.list_namespaced_pod, NS, resource_version=str(start),
                          allow_watch_bookmarks=True, timeout_seconds=15):
        if event["type"] == "BOOKMARK":
            continue
        pod = event["object"]
        assert isinstance(pod, client.V1Pod)
        assert isinstance(pod.metadata.resource_version, str)
        rvs.append(int(pod.metadata.resource_version))
        seen.append((event["type"], pod.metadata.name))
        if pod.metadata.name == victim and event["type"] == "MODIFIED":
            assert pod.metadata.deletion_timestamp is not None
        if ("DELETED", victim) in seen and any(t == "ADDED" and n not in names for t, n in seen):
            w.stop()
    assert rvs == sorted(rvs) and rvs[0] > start and len(set(rvs)) == len(rvs)
    assert seen.index(("MODIFIED", victim)) < seen.index(("DELETED", victim))
    replacement = next(n for t, n in seen if t == "ADDED")
    assert replacement not in names and replacement.startswith(victim.rsplit("-", 1)[0])
    assert w.resource_version == str(rvs[-1])


def test_idle_watch_gets_bookmarks_and_ends_at_timeout(kube: Kube) -> None:
    listed = kube.core.list_namespaced_config_map(NS)
    started = time.monotonic()
    w = watch.Watch()
    events = [(e["type"], time.monotonic() - started, e["raw_object"])
              for e in w.stream(kube.core.list_namespaced_config_map, NS,
                                resource_version=listed.metadata.resource_version,
                                allow_watch_bookmarks=True, timeout_seconds=6)]
    elapsed = time.monotonic() - started
    assert 5.5 <= elapsed < 9, elapsed  # ended by the server at timeoutSeconds, without error
    bookmarks = [(at, obj) for kind, at, obj in events if kind == "BOOKMARK"]
    assert bookmarks and bookmarks[0][0] < 7, events
    assert all(kind == "BOOKMARK" for kind, _, _ in events)
    mark = bookmarks[0][1]
    assert mark["kind"] == "ConfigMap" and mark["apiVersion"] == "v1"
    assert int(mark["metadata"]["resourceVersion"]) >= int(listed.metadata.resource_version)
    assert w.resource_version == mark["metadata"]["resourceVersion"]


def _scale(kube: Kube, replicas: int) -> None:
    kube.apps.patch_namespaced_deployment_scale(DEPLOY, NS, {"spec": {"replicas": replicas}})


def _active_pods(kube: Kube) -> list[client.V1Pod]:
    return [p for p in kube.core.list_namespaced_pod(NS).items
            if p.metadata.deletion_timestamp is None]


def test_watch_after_compaction_is_410_and_the_consumer_relists(kube: Kube) -> None:
    core = kube.core
    listed = core.list_namespaced_pod(NS)
    old_rv = listed.metadata.resource_version
    _scale(kube, 4)
    kube.cluster.store.compact()

    raw = core.list_namespaced_pod(NS, watch=True, resource_version=old_rv, timeout_seconds=5,
                                   _preload_content=False)
    try:
        first = json.loads(next(watch.watch.iter_resp_lines(raw)))
    finally:
        raw.close()
        raw.release_conn()
    assert first["type"] == "ERROR"
    expired = kube.api.deserialize(json.dumps(first["object"]), "V1Status", "application/json")
    assert (expired.code, expired.reason, expired.status) == (410, "Expired", "Failure")

    with pytest.raises(ApiException) as gone:
        list(watch.Watch().stream(core.list_namespaced_pod, NS, resource_version=old_rv,
                                  timeout_seconds=5))
    assert gone.value.status == 410

    # An informer-like consumer: keep a cache, watch from the last resourceVersion, re-list on
    # 410 and carry on from the list's resourceVersion.
    cache = {p.metadata.name: p for p in listed.items}
    rv, relists = old_rv, 0
    deadline = time.monotonic() + 20

    def settled() -> bool:
        active = [p for p in cache.values() if p.metadata.deletion_timestamp is None]
        return len(active) == 4

    while not settled() and time.monotonic() < deadline:
        try:
            for event in watch.Watch().stream(core.list_namespaced_pod, NS, resource_version=rv,
                                              timeout_seconds=2):
                obj = event["object"]
                if event["type"] == "BOOKMARK":
                    rv = obj["metadata"]["resourceVersion"]
                    continue
                rv = obj.metadata.resource_version
                if event["type"] == "DELETED":
                    cache.pop(obj.metadata.name, None)
                else:
                    cache[obj.metadata.name] = obj
                if settled():
                    break
        except ApiException as exc:
            if exc.status != 410:
                raise
            relists += 1
            fresh = core.list_namespaced_pod(NS)
            cache = {p.metadata.name: p for p in fresh.items}
            rv = fresh.metadata.resource_version
    assert settled(), cache.keys()
    assert relists == 1
    assert set(cache) == {p.metadata.name for p in core.list_namespaced_pod(NS).items}


def test_watch_label_and_field_selectors(kube: Kube) -> None:
    core = kube.core
    start = core.list_namespaced_config_map(NS).metadata.resource_version

    def cm(name: str, **labels: str) -> client.V1ConfigMap:
        return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels),
                                  data={"x": "1"})

    core.create_namespaced_config_map(NS, cm("sel-a", team="a"))
    core.create_namespaced_config_map(NS, cm("sel-b", team="b"))
    core.create_namespaced_config_map(NS, cm("sel-c", team="a", tier="web"))
    core.patch_namespaced_config_map("sel-c", NS, {"data": {"x": "2"}})
    core.patch_namespaced_config_map("sel-b", NS, {"metadata": {"labels": {"team": "a"}}})
    core.patch_namespaced_config_map("sel-a", NS, {"metadata": {"labels": {"team": "z"}}})
    core.delete_namespaced_config_map("sel-c", NS)
    core.delete_namespaced_config_map("sel-a", NS)

    def watched(selector: str) -> list[tuple[str, str, dict[str, str]]]:
        return [(e["type"], _name(e), e["object"].metadata.labels)
                for e in watch.Watch().stream(core.list_namespaced_config_map, NS,
                                              resource_version=start, label_selector=selector,
                                              timeout_seconds=1)]

    # Regression: an object whose labels leave the selector is DELETED for the watcher (with
    # its last matching state), one whose labels enter it is ADDED — as the API server does.
    assert watched("team=a") == [
        ("ADDED", "sel-a", {"team": "a"}),
        ("ADDED", "sel-c", {"team": "a", "tier": "web"}),
        ("MODIFIED", "sel-c", {"team": "a", "tier": "web"}),
        ("ADDED", "sel-b", {"team": "a"}),
        ("DELETED", "sel-a", {"team": "a"}),
        ("DELETED", "sel-c", {"team": "a", "tier": "web"}),
    ]
    assert watched("team in (b,z),!tier") == [
        ("ADDED", "sel-b", {"team": "b"}),
        ("DELETED", "sel-b", {"team": "b"}),
        ("ADDED", "sel-a", {"team": "z"}),
        ("DELETED", "sel-a", {"team": "z"}),
    ]

    pods = core.list_namespaced_pod(NS)
    victim = pods.items[-1].metadata.name
    core.delete_namespaced_pod(victim, NS)
    seen = []
    w = watch.Watch()
    for event in w.stream(core.list_namespaced_pod, NS, field_selector=f"metadata.name={victim}",
                          resource_version=pods.metadata.resource_version, timeout_seconds=10):
        seen.append((event["type"], _name(event)))
        if event["type"] == "DELETED":
            w.stop()
    assert seen[-1] == ("DELETED", victim) and {n for _, n in seen} == {victim}
    # Without a resourceVersion the watch starts with the current state, selectors applied.
    survivor = next(p.metadata.name for p in _active_pods(kube))
    initial = [(e["type"], _name(e)) for e in watch.Watch().stream(
        core.list_namespaced_pod, NS, field_selector=f"metadata.name={survivor}",
        timeout_seconds=1)]
    assert initial[0] == ("ADDED", survivor) and {n for _, n in initial} == {survivor}


class PodRecorder:
    """The store's own record of pod changes in the namespace: the ground truth for watchers."""

    def __init__(self, kube: Kube) -> None:
        self.events: list[tuple[str, str, int]] = []
        kube.cluster.store.add_listener(self._record)

    def _record(self, event: Any) -> None:
        if event.resource == "pods" and event.namespace == NS:
            self.events.append((event.type, event.entry.obj["metadata"]["name"], event.rv))

    def between(self, after: int, upto: int) -> list[tuple[str, str, int]]:
        return [e for e in list(self.events) if after < e[2] <= upto]


def test_dropped_watches_resume_from_the_last_resource_version(kube: Kube) -> None:
    truth = PodRecorder(kube)
    kube.cluster.faults.apply("drop-watches=1s")
    start = kube.core.list_namespaced_pod(NS).metadata.resource_version
    seen: list[tuple[str, str, int]] = []
    connections = 0
    stop = threading.Event()
    errors: list[BaseException] = []
    api = new_api(kube.info)
    core = client.CoreV1Api(api)

    def consume() -> None:
        nonlocal connections
        rv = start
        try:
            while not stop.is_set():
                connections += 1
                for event in watch.Watch().stream(core.list_namespaced_pod, NS,
                                                  resource_version=rv, timeout_seconds=30):
                    if event["type"] == "BOOKMARK":
                        rv = event["raw_object"]["metadata"]["resourceVersion"]
                        continue
                    rv = event["object"].metadata.resource_version
                    seen.append((event["type"], _name(event), int(rv)))
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)

    consumer = threading.Thread(target=consume, name="test-consumer", daemon=True)
    began = time.monotonic()
    consumer.start()
    try:
        _scale(kube, 6)
        wait_for("6 pods", lambda: len(_active_pods(kube)) == 6)
        _scale(kube, 3)
        wait_for("3 pods", lambda: len(kube.core.list_namespaced_pod(NS).items) == 3)
        time.sleep(max(0.0, 3.5 - (time.monotonic() - began)))
    finally:
        stop.set()
        consumer.join(timeout=10)
        api.close()
    assert not consumer.is_alive() and not errors, errors
    assert connections >= 3, connections  # the stream really was dropped and resumed
    assert seen, "the consumer saw nothing"
    expected = truth.between(int(start), seen[-1][2])
    assert seen == expected
    assert sum(1 for t, _, _ in seen if t == "ADDED") >= 3
    assert sum(1 for t, _, _ in seen if t == "DELETED") >= 3


def test_ten_concurrent_watchers_see_the_same_burst(kube: Kube) -> None:
    truth = PodRecorder(kube)
    start = kube.core.list_namespaced_pod(NS).metadata.resource_version
    marker = "drill.test/marker"
    results: dict[int, list[tuple[str, str, int]]] = {}
    errors: list[BaseException] = []
    apis = [new_api(kube.info) for _ in range(10)]
    ready = threading.Barrier(11)

    def watcher(index: int) -> None:
        core = client.CoreV1Api(apis[index])
        seen: list[tuple[str, str, int]] = []
        try:
            ready.wait(timeout=10)
            w = watch.Watch()
            for event in w.stream(core.list_namespaced_pod, NS, resource_version=start,
                                  timeout_seconds=40):
                pod = event["object"]
                seen.append((event["type"], pod.metadata.name,
                             int(pod.metadata.resource_version)))
                if marker in (pod.metadata.annotations or {}):
                    w.stop()
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)
        results[index] = seen

    threads = [threading.Thread(target=watcher, args=(i,), name=f"test-watcher-{i}",
                                daemon=True) for i in range(10)]
    for thread in threads:
        thread.start()
    try:
        ready.wait(timeout=10)
        _scale(kube, 10)
        wait_for("10 pods", lambda: len(_active_pods(kube)) == 10)
        _scale(kube, 3)
        wait_for("3 pods", lambda: len(kube.core.list_namespaced_pod(NS).items) == 3)
        name = _active_pods(kube)[0].metadata.name
        kube.core.patch_namespaced_pod(name, NS, {"metadata": {"annotations": {marker: "1"}}})
        for thread in threads:
            thread.join(timeout=20)
    finally:
        for api in apis:
            api.close()
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)
    sequences = [results[i] for i in range(10)]
    first = sequences[0]
    assert all(seq == first for seq in sequences)
    assert first == truth.between(int(start), first[-1][2])
    assert sum(1 for t, _, _ in first if t == "ADDED") >= 7
    assert sum(1 for t, _, _ in first if t == "DELETED") >= 7


def _server_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if "process_request_thread" in t.name}


def test_a_watch_closed_by_its_client_frees_the_server_thread(kube: Kube) -> None:
    before = _server_threads()
    api = new_api(kube.info)
    core = client.CoreV1Api(api)
    w = watch.Watch()
    # An idle watch (the server writes nothing) that would last a minute.
    stream = w.stream(core.list_namespaced_config_map, NS, timeout_seconds=60)
    first = next(stream)
    assert first["type"] == "ADDED" and _name(first) == "checkout-flags"
    serving = wait_for("the watch's server thread", lambda: _server_threads() - before, 5)
    w.stop()
    stream.close()
    api.close()
    started = time.monotonic()
    for thread in serving:
        thread.join(timeout=max(0.1, 5 - (time.monotonic() - started)))
    assert not any(t.is_alive() for t in serving), "the server kept serving a closed watch"
