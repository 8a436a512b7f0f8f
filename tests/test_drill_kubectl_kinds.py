"""Real kubectl against the drill: endpoints, endpoint slices, nodes, secrets and ingresses.

What kubectl prints is checked against the drill's pods and Services: the endpoints of a Service
are the ready pods its selector matches, as a real endpoints controller keeps them.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from typing import Any

from conftest import require_tool
from test_drill_database import _require_server
from test_drill_kubectl import header, sections, table, until

NS = "production"


def _json(kubectl: Any, info: Any, *args: str) -> dict[str, Any]:
    result = kubectl(info, *args, "-o", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _ready(pod: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True"
               for c in pod["status"].get("conditions") or [])


def _selected(pods: list[dict[str, Any]], selector: dict[str, str]) -> list[dict[str, Any]]:
    return [p for p in pods if selector.items() <= p["metadata"].get("labels", {}).items()
            and "deletionTimestamp" not in p["metadata"] and p["status"].get("podIP")]


def test_get_svc_cm_endpoints_prints_the_ready_pods_of_each_service(drill, kubectl) -> None:
    _cluster, info = drill("bad-flag")  # its pods are ready: the endpoints list them

    def consistent() -> tuple[str, dict[str, Any], list[dict[str, Any]]] | None:
        """the endpoints and the pods read in one kubectl call agree"""
        result = kubectl(info, "get", "svc,cm,endpoints,pods", "-o", "json")
        assert result.returncode == 0, result.stderr
        items = json.loads(result.stdout)["items"]
        (endpoints,) = [i for i in items if i["kind"] == "Endpoints"]
        pods = [i for i in items if i["kind"] == "Pod"]
        newest_pod = max(int(p["metadata"]["resourceVersion"]) for p in pods)
        if int(endpoints["metadata"]["resourceVersion"]) < newest_pod:
            return None  # a pod changed after the endpoints were written: read again
        return result.stdout, endpoints, pods

    _, endpoints, pods = until(consistent)
    selected = _selected(pods, {"app": "checkout"})
    subset = endpoints["subsets"][0]
    ready = {a["targetRef"]["name"]: a["ip"] for a in subset.get("addresses", [])}
    not_ready = {a["targetRef"]["name"]: a["ip"] for a in subset.get("notReadyAddresses", [])}
    assert ready == {p["metadata"]["name"]: p["status"]["podIP"] for p in selected if _ready(p)}
    assert not_ready == {p["metadata"]["name"]: p["status"]["podIP"]
                         for p in selected if not _ready(p)}
    assert subset["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]

    printed = kubectl(info, "get", "svc,cm,endpoints")
    assert printed.returncode == 0, printed.stderr
    svc, _cm, ep = sections(printed.stdout)
    assert table(svc)[0]["NAME"] == "service/checkout"
    assert header(ep) == ["NAME", "ENDPOINTS", "AGE"]
    (row,) = table(ep)
    assert row["NAME"] == "endpoints/checkout" and row["AGE"] == "30d"  # made with its Service
    for address in row["ENDPOINTS"].split(","):
        ip, port = address.split(":")
        assert port == "8080" and ip.startswith("10.244."), row


def test_describe_svc_shows_its_endpoints(drill, kubectl) -> None:
    cluster, info = drill("bad-migration")  # rolled out: three ready pods

    def described() -> str | None:
        """describe svc lists the three ready pods as endpoints"""
        result = kubectl(info, "describe", "svc", "checkout")
        assert result.returncode == 0, result.stderr
        (line,) = [x for x in result.stdout.splitlines() if x.startswith("Endpoints:")]
        return line if len(line.split()[1].split(",")) == 3 else None

    line = described() or until(described)
    pods = [p for p in cluster.store.objects("pods", NS) if _ready(p)]
    assert sorted(line.split()[1].split(",")) == sorted(
        f"{p['status']['podIP']}:8080" for p in pods)
    assert "<none>" not in line


def test_endpoints_follow_a_blue_green_switch(drill, kubectl) -> None:
    cluster, info = drill("blue-green")
    patched = kubectl(info, "patch", "svc", "checkout", "-p",
                      '{"spec":{"selector":{"version":"blue"}}}')
    assert patched.returncode == 0, patched.stderr

    def blue_only() -> dict[str, Any] | None:
        """the live Service's endpoints are the blue pods only"""
        endpoints = _json(kubectl, info, "get", "endpoints", "checkout")
        names = {a["targetRef"]["name"] for s in endpoints.get("subsets", [])
                 for a in s.get("addresses", [])}
        return endpoints if names and all(n.startswith("checkout-blue-") for n in names) \
            else None

    endpoints = until(blue_only)
    blue = {p["metadata"]["name"] for p in cluster.store.objects("pods", NS)
            if p["metadata"]["labels"].get("version") == "blue" and _ready(p)}
    assert {a["targetRef"]["name"] for a in endpoints["subsets"][0]["addresses"]} == blue
    slices = _json(kubectl, info, "get", "endpointslices", "-l",
                   "kubernetes.io/service-name=checkout")["items"]
    (one,) = slices
    assert one["metadata"]["ownerReferences"][0]["kind"] == "Service"
    assert {e["targetRef"]["name"] for e in one["endpoints"]} == blue
    assert all(e["conditions"]["ready"] for e in one["endpoints"])
    printed = kubectl(info, "get", "endpointslices")
    assert header(printed.stdout) == ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
    rows = {r["NAME"].rsplit("-", 1)[0]: r for r in table(printed.stdout)}
    assert set(rows) == {"checkout", "checkout-blue", "checkout-green"}
    assert rows["checkout"]["PORTS"] == "8080" and rows["checkout"]["ADDRESSTYPE"] == "IPv4"


def test_endpoints_of_a_deleted_pod_go_and_its_replacement_comes(drill, kubectl) -> None:
    _cluster, info = drill("bad-migration")
    before = {a["targetRef"]["name"] for a in _json(
        kubectl, info, "get", "endpoints", "checkout")["subsets"][0]["addresses"]}
    victim = min(before)
    deleted = kubectl(info, "delete", "pod", victim, "--wait=false")
    assert deleted.returncode == 0, deleted.stderr

    def replaced() -> set[str] | None:
        """the deleted pod left the endpoints and a new ready pod joined"""
        endpoints = _json(kubectl, info, "get", "endpoints", "checkout")
        names = {a["targetRef"]["name"] for s in endpoints.get("subsets", [])
                 for a in s.get("addresses", [])}
        return names if victim not in names and len(names) == 3 else None

    now = until(replaced, timeout=30)
    assert len(now - before) == 1


def test_nodes_get_describe_and_pods_wide(drill, kubectl) -> None:
    _cluster, info = drill("bad-release")
    nodes = kubectl(info, "get", "nodes", "-o", "wide")
    assert nodes.returncode == 0, nodes.stderr
    assert header(nodes.stdout) == ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP",
                                    "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION",
                                    "CONTAINER-RUNTIME"]
    (node,) = table(nodes.stdout)
    assert (node["STATUS"], node["ROLES"], node["VERSION"]) == ("Ready", "<none>", "v1.32.0")
    pods = table(kubectl(info, "get", "pods", "-o", "wide").stdout)
    assert pods and {p["NODE"] for p in pods} == {node["NAME"]}
    described = kubectl(info, "describe", "node", node["NAME"])
    assert described.returncode == 0, described.stderr
    text = described.stdout
    assert "Failed to get lease" not in text and f"HolderIdentity:  {node['NAME']}" in text
    assert f"InternalIP:  {node['INTERNAL-IP']}" in text
    assert f"Non-terminated Pods:          ({len(pods)} in total)" in text
    for pod in pods:
        assert pod["NAME"] in text
    assert "Ready            True" in text
    leases = table(kubectl(info, "get", "leases", "-n", "kube-node-lease").stdout)
    assert [(r["NAME"], r["HOLDER"], r["AGE"]) for r in leases] == [
        (node["NAME"], node["NAME"], node["AGE"])]


def test_the_database_secret_holds_credentials_psql_accepts(drill, kubectl) -> None:
    """What a trainee reads from the Secret with kubectl logs in to the drill's PostgreSQL."""
    _require_server()
    _cluster, info = drill("bad-migration")
    printed = kubectl(info, "get", "secrets")
    assert printed.returncode == 0, printed.stderr
    (row,) = table(printed.stdout)
    assert (row["NAME"], row["TYPE"], row["DATA"]) == ("checkout-db", "Opaque", "5")
    secret = _json(kubectl, info, "get", "secret", "checkout-db")
    decoded = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert decoded["password"] == info.extra["params"]["pgpassword"]
    env = {**os.environ, "PGHOST": decoded["host"], "PGPORT": decoded["port"],
           "PGUSER": decoded["username"], "PGPASSWORD": decoded["password"],
           "PGCONNECT_TIMEOUT": "5"}
    answer = subprocess.run([require_tool("psql"), "-X", "-At", "-c",
                             "SELECT count(*) FROM users", decoded["database"]],
                            capture_output=True, text=True, env=env, timeout=30, check=False)
    assert answer.returncode == 0 and answer.stdout.strip() == "51", answer.stderr


def test_ingress_of_the_blue_green_drill_can_be_switched(drill, kubectl) -> None:
    cluster, info = drill("blue-green")
    printed = kubectl(info, "get", "ingress")
    assert printed.returncode == 0, printed.stderr
    assert header(printed.stdout) == ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"]
    (row,) = table(printed.stdout)
    assert (row["NAME"], row["HOSTS"], row["PORTS"]) == ("checkout", "checkout.drill.local", "80")
    # The seed's alternative switch, verbatim apart from the names.
    patched = kubectl(info, "patch", "ingress", "checkout", "--type=json", "-p",
                      '[{"op": "replace", "path": '
                      '"/spec/rules/0/http/paths/0/backend/service/name", '
                      '"value":"checkout-blue"}]')
    assert patched.returncode == 0, patched.stderr
    ingress = cluster.store.require("ingresses", NS, "checkout").obj
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == \
        "checkout-blue"


def test_api_resources_lists_the_new_kinds(drill, kubectl) -> None:
    _, info = drill("bad-release")
    result = kubectl(info, "api-resources")
    assert result.returncode == 0, result.stderr
    rows = {r["NAME"]: r for r in table(result.stdout)}
    expected = {"endpoints": ("v1", "Endpoints", "ep"),
                "endpointslices": ("discovery.k8s.io/v1", "EndpointSlice", ""),
                "nodes": ("v1", "Node", "no"), "secrets": ("v1", "Secret", ""),
                "ingresses": ("networking.k8s.io/v1", "Ingress", "ing")}
    for name, (version, kind, short) in expected.items():
        assert (rows[name]["APIVERSION"], rows[name]["KIND"], rows[name]["SHORTNAMES"]) == (
            version, kind, short), rows[name]
    assert rows["nodes"]["NAMESPACED"] == "false"


def test_kubectl_create_generators_post_protobuf_and_are_stored(drill, kubectl) -> None:
    cluster, info = drill("bad-release")
    commands = [
        ("create", "secret", "generic", "flag-token", "--from-literal=token=s3cret"),
        ("create", "configmap", "limits", "--from-literal=rate=40", "--from-literal=burst=80"),
        ("create", "namespace", "staging"),
        ("create", "deployment", "web", "--image=registry.drill.local/web:1.0", "--port=8080",
         "--replicas=2"),
        ("create", "service", "clusterip", "web", "--tcp=80:8080"),
        ("expose", "deployment", "checkout", "--name=checkout-direct", "--port=8080"),
    ]
    for command in commands:
        result = kubectl(info, *command)
        assert result.returncode == 0, (command, result.stderr)
    store = cluster.store
    token = store.require("secrets", NS, "flag-token").obj
    assert (token["type"], base64.b64decode(token["data"]["token"])) == ("Opaque", b"s3cret")
    assert store.require("configmaps", NS, "limits").obj["data"] == {"rate": "40",
                                                                     "burst": "80"}
    assert store.get("namespaces", "", "staging") is not None
    web = store.require("deployments", NS, "web").obj
    assert web["spec"]["replicas"] == 2
    assert web["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    (container,) = web["spec"]["template"]["spec"]["containers"]
    assert (container["image"], container["ports"]) == (
        "registry.drill.local/web:1.0", [{"containerPort": 8080, "protocol": "TCP"}])
    service = store.require("services", NS, "web").obj
    assert service["spec"]["ports"][0]["targetPort"] == 8080
    printed = table(kubectl(info, "get", "svc").stdout)
    assert all(row["AGE"] != "<unknown>" for row in printed), printed

    def served() -> str | None:
        """the new Service's endpoints are the web pods once they are ready"""
        row = table(kubectl(info, "get", "endpoints", "web").stdout)[0]
        return row["ENDPOINTS"] if row["ENDPOINTS"].count(":8080") == 2 else None

    until(served)
    refused = kubectl(info, "create", "ingress", "web", "--rule=web.drill.local/*=web:80")
    assert refused.returncode == 1
    assert "send it as JSON" in refused.stderr and "Ingress" in refused.stderr
