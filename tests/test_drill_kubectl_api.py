"""Real kubectl against the drill: who am I, what may I do, and the OpenAPI documents.

`auth whoami` and `auth can-i --list` (SelfSubjectReview, SelfSubjectRulesReview, posted as
protobuf) and the OpenAPI v2/v3 documents that `apply`, `create -f`, `explain`, server-side
apply and `--dry-run=server` need.
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Any

from conftest import drill_auth
from test_drill_kubectl import table

from tui.drill import patch_strategic
from tui.drill.fieldcheck import unknown_fields
from tui.drill.openapi import DEFINITIONS
from tui.drill.resources import RESOURCES


def test_auth_whoami_names_the_drill_user(drill, kubectl) -> None:
    _, info = drill("bad-release")
    result = kubectl(info, "auth", "whoami")
    assert result.returncode == 0, result.stderr
    rows = {r["ATTRIBUTE"]: r["VALUE"] for r in table(result.stdout)}
    assert rows == {"Username": "drill-user", "Groups": "[system:authenticated]"}


def test_auth_can_i_list_allows_everything_without_faults(drill, kubectl) -> None:
    _, info = drill("bad-release")
    result = kubectl(info, "auth", "can-i", "--list")
    assert result.returncode == 0, result.stderr
    rows = table(result.stdout)
    assert {"Resources": "*.*", "Non-Resource URLs": "[]", "Resource Names": "[]",
            "Verbs": "[*]"} in rows


def test_auth_can_i_list_agrees_with_can_i_under_a_deny_fault(drill, kubectl) -> None:
    _, info = drill("bad-release", faults=["deny=patch:deployments"])
    result = kubectl(info, "auth", "can-i", "--list", "-n", "production")
    assert result.returncode == 0, result.stderr
    rows = {r["Resources"]: r["Verbs"] for r in table(result.stdout) if r["Resources"]}
    assert "*.*" not in rows
    verbs = set(re.findall(r"\w+", rows["deployments.apps"]))
    assert verbs == {"create", "delete", "deletecollection", "get", "list", "update", "watch"}
    assert "patch" in rows["pods"] and "patch" in rows["services"]
    assert "patch" not in rows["deployments.apps/scale"]
    for verb, expected in (("patch", "no"), ("get", "yes")):
        answer = kubectl(info, "auth", "can-i", verb, "deployments", "-n", "production")
        assert answer.stdout.split()[0] == expected, (verb, answer.stdout, answer.stderr)


# ---- OpenAPI: apply, create -f, explain, server-side apply, --dry-run=server ------------------

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: production
  labels: {team: payments}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: registry.drill.local/web:1.0
        ports:
        - containerPort: 8080
"""


def _manifest(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _deployment(cluster: Any, name: str = "web") -> dict[str, Any] | None:
    entry = cluster.store.get("deployments", "production", name)
    return entry.obj if entry else None


def test_apply_with_validation_creates_then_unchanged_then_configured(drill, kubectl,
                                                                      tmp_path: Path) -> None:
    cluster, info = drill("bad-release")
    path = _manifest(tmp_path, "web.yaml", MANIFEST)
    first = kubectl(info, "apply", "-f", path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "deployment.apps/web created"
    assert _deployment(cluster)["spec"]["replicas"] == 2
    again = kubectl(info, "apply", "-f", path)
    assert again.stdout.strip() == "deployment.apps/web unchanged", again.stderr
    scaled = _manifest(tmp_path, "web3.yaml", MANIFEST.replace("replicas: 2", "replicas: 3"))
    third = kubectl(info, "apply", "-f", scaled)
    assert third.stdout.strip() == "deployment.apps/web configured", third.stderr
    assert _deployment(cluster)["spec"]["replicas"] == 3


def test_create_f_rejects_an_unknown_field_and_stores_nothing(drill, kubectl,
                                                               tmp_path: Path) -> None:
    cluster, info = drill("bad-release")
    bad = _manifest(tmp_path, "bad.yaml", MANIFEST.replace("  replicas: 2\n",
                                                           "  replicas: 2\n  replica: 3\n"))
    result = kubectl(info, "create", "-f", bad)
    assert result.returncode == 1
    assert 'strict decoding error: unknown field "spec.replica"' in result.stderr
    assert _deployment(cluster) is None
    good = kubectl(info, "create", "-f", _manifest(tmp_path, "good.yaml", MANIFEST))
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() == "deployment.apps/web created"


def test_apply_dry_run_server_changes_nothing(drill, kubectl, tmp_path: Path) -> None:
    cluster, info = drill("bad-release")
    path = _manifest(tmp_path, "web.yaml", MANIFEST)
    result = kubectl(info, "apply", "-f", path, "--dry-run=server")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "deployment.apps/web created (server dry run)"
    assert _deployment(cluster) is None
    checkout = _deployment(cluster, "checkout")
    image = "registry.drill.local/checkout:9.9.9"
    dry = kubectl(info, "set", "image", "deploy/checkout", f"checkout={image}",
                  "--dry-run=server")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.strip() == "deployment.apps/checkout image updated (server dry run)"
    assert _deployment(cluster, "checkout")["spec"] == checkout["spec"]


def test_server_side_apply_creates_merges_and_drops_what_it_no_longer_applies(
        drill, kubectl, tmp_path: Path) -> None:
    cluster, info = drill("bad-release")
    path = _manifest(tmp_path, "web.yaml", MANIFEST)
    first = kubectl(info, "apply", "--server-side", "-f", path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "deployment.apps/web serverside-applied"
    stored = _deployment(cluster)
    (entry,) = stored["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"]) == ("kubectl", "Apply")
    assert "f:replicas" in entry["fieldsV1"]["f:spec"]
    assert stored["metadata"]["labels"] == {"team": "payments"}
    changed = MANIFEST.replace("  labels: {team: payments}\n", "").replace("replicas: 2",
                                                                          "replicas: 4")
    second = kubectl(info, "apply", "--server-side", "-f", _manifest(tmp_path, "w2.yaml",
                                                                    changed))
    assert second.returncode == 0, second.stderr
    stored = _deployment(cluster)
    assert stored["spec"]["replicas"] == 4
    assert "labels" not in stored["metadata"]  # applied before, not now: removed
    bad = kubectl(info, "apply", "--server-side", "-f", _manifest(
        tmp_path, "bad.yaml", changed.replace("replicas: 4", "replicas: 4\n  paused2: true")))
    assert bad.returncode == 1
    assert ".spec.paused2: field not declared in schema" in bad.stderr


def test_explain_reads_the_v3_and_v2_documents(drill, kubectl) -> None:
    _, info = drill("bad-release")
    v3 = kubectl(info, "explain", "deployment.spec.strategy")
    assert v3.returncode == 0, v3.stderr
    assert "FIELD: strategy <DeploymentStrategy>" in v3.stdout
    assert re.search(r"rollingUpdate\s+<RollingUpdateDeployment>", v3.stdout)
    assert re.search(r"type\s+<string>\n\s+enum: Recreate, RollingUpdate", v3.stdout)
    surge = kubectl(info, "explain", "deployment.spec.strategy.rollingUpdate.maxSurge")
    assert "FIELD: maxSurge <IntOrString>" in surge.stdout, surge.stderr
    containers = kubectl(info, "explain", "pods.spec.containers")
    assert re.search(r"name\s+<string> -required-", containers.stdout), containers.stderr
    v2 = kubectl(info, "explain", "deployment.spec.strategy", "--output=plaintext-openapiv2")
    assert v2.returncode == 0, v2.stderr
    assert "RESOURCE: strategy <Object>" in v2.stdout
    assert re.search(r"rollingUpdate\s+<Object>", v2.stdout)


def test_v2_and_v3_describe_the_same_fields(drill) -> None:
    _, info = drill("bad-release")

    def get(path: str, accept: str = "application/json") -> bytes:
        request = urllib.request.Request(info.api + path,
                                         headers={"Accept": accept, **drill_auth(info)})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read()

    v2 = json.loads(get("/openapi/v2"))["definitions"]
    index = json.loads(get("/openapi/v3"))["paths"]
    assert {"api/v1", "apis/apps/v1", "apis/discovery.k8s.io/v1",
            "apis/networking.k8s.io/v1"} <= set(index)
    seen = 0
    for entry in index.values():
        doc = json.loads(get(entry["serverRelativeURL"]))
        for name, schema in doc["components"]["schemas"].items():
            assert set(schema.get("properties", {})) == set(v2[name].get("properties", {}))
            assert schema.get("required") == v2[name].get("required"), name
            seen += 1
    assert seen > 40
    protobuf = get("/openapi/v2", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf")
    assert protobuf.startswith(b"\n\x032.0")  # field 1 (swagger) = "2.0"
    assert b"io.k8s.api.apps.v1.DeploymentStrategy" in protobuf


def test_every_object_a_drill_writes_fits_the_described_types(drill) -> None:
    for scenario in ("bad-release", "blue-green", "bad-migration", "bad-flag"):
        cluster, _ = drill(scenario)
        for res in RESOURCES.values():
            for obj in cluster.store.objects(res.name):
                assert unknown_fields(res.kind, obj) == [], (scenario, res.kind, obj)


def test_apply_merges_containers_by_name_as_the_v3_patch_keys_say(drill, kubectl,
                                                                 tmp_path: Path) -> None:
    cluster, info = drill("bad-release")
    sidecar = MANIFEST + "      - name: proxy\n        image: registry.drill.local/proxy:1.0\n"
    created = kubectl(info, "apply", "-f", _manifest(tmp_path, "web.yaml", sidecar))
    assert created.returncode == 0, created.stderr
    names = [c["name"] for c in _deployment(cluster)["spec"]["template"]["spec"]["containers"]]
    assert names == ["web", "proxy"]
    # A change made beside the manifest: merged by name, the next apply keeps it.
    extra = kubectl(info, "set", "env", "deploy/web", "-c", "web", "DEBUG=1")
    assert extra.returncode == 0, extra.stderr
    # The proxy leaves the manifest: kubectl asks the server to delete it by its merge key
    # (read from the v3 document); with the list atomic it would send [web], merged by name,
    # and the proxy would stay.
    newer = MANIFEST.replace("web:1.0", "web:1.1")
    applied = kubectl(info, "apply", "-f", _manifest(tmp_path, "web11.yaml", newer), "-v=6")
    assert applied.returncode == 0, applied.stderr
    assert "/openapi/v3/apis/apps/v1" in applied.stderr  # the patch was computed from v3
    (container,) = _deployment(cluster)["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "registry.drill.local/web:1.1"
    assert container["env"] == [{"name": "DEBUG", "value": "1"}]


def test_strategic_merge_keys_agree_with_the_described_types() -> None:
    # The server merges with patch_strategic's keys, kubectl computes patches with the ones the
    # OpenAPI documents publish: the two must not drift apart.
    names = {"ObjectMeta": "meta.ObjectMeta", "PodSpec": "core.PodSpec",
             "Container": "core.Container", "PodStatus": "core.PodStatus",
             "ServiceSpec": "core.ServiceSpec"}
    checked = 0
    for schema, fields in patch_strategic._SCHEMAS.items():
        if schema not in names:
            continue
        described = {f[0].rstrip("!"): f[1] for f in DEFINITIONS[names[schema]][1]}
        for field, (key, _) in fields.items():
            kind = described[field]
            expected = "" if key == patch_strategic._SET else key
            assert kind.startswith("[]") and kind.partition("@")[2] == expected, (schema, field)
            checked += 1
    assert checked >= 15


# Fields of the official client's (newer) models that k8s.io/api v1.32, which the drill
# reports, does not have yet.
NEWER_THAN_1_32 = {
    "core.Container": {"restartPolicyRules"}, "core.HTTPGetAction": {"protocol"},
    "core.NodeSpec": {"podPreemptionPolicy"}, "core.NodeStatus": {"declaredFeatures"},
    "core.PodCondition": {"observedGeneration"},
    "core.PodSpec": {"evictionResponders", "hostnameOverride", "schedulingGroup"},
    "core.PodStatus": {"allocatedResources", "extendedResourceClaimStatus",
                       "nodeAllocatableResourceClaimStatuses", "resources", "volumeHealth"},
    "discovery.Endpoint": {"deprecatedTopology"}, "meta.ListMeta": {"shardInfo"},
}
_CLIENT_NAMES = {"core.EndpointPort": "CoreV1EndpointPort", "core.Event": "CoreV1Event",
                 "core.EventList": "CoreV1EventList",
                 "discovery.EndpointPort": "DiscoveryV1EndpointPort"}
_CLIENT_TYPES = {"string": "str", "int32": "int", "int64": "int", "bool": "bool",
                 "double": "float", "bytes": "bytes", "time": "datetime",
                 "microtime": "datetime", "intstr": "object", "quantity": "str"}


def _client_type(kind: str) -> str | None:
    """How the official client types a described type (None: free-form, not compared)."""
    if kind.startswith(("[]", "{}")):
        inner = _client_type(kind[2:].partition("@")[0])
        if inner is None:
            return None
        return f"List[{inner}]" if kind.startswith("[]") else f"Dict[str, {inner}]"
    if kind == "any":
        return None
    if kind in _CLIENT_TYPES:
        return _CLIENT_TYPES[kind]
    return _CLIENT_NAMES.get(kind) or "V1" + kind.partition(".")[2]


def test_the_description_matches_the_official_client_models() -> None:
    from kubernetes import client

    compared = 0
    for short, (_, fields) in DEFINITIONS.items():
        model = getattr(client, _CLIENT_NAMES.get(short) or "V1" + short.partition(".")[2])
        official = {model.attribute_map[a]: t for a, t in model.openapi_types.items()}
        described = {f[0].rstrip("!"): f[1] for f in fields}
        assert set(official) - set(described) == NEWER_THAN_1_32.get(short, set()), short
        assert set(described) <= set(official), (short, set(described) - set(official))
        for name, kind in described.items():
            expected = _client_type(kind)
            assert expected in (None, official[name]), (short, name, kind, official[name])
            compared += expected is not None
    assert compared > 250
