"""One bad request cannot break the drill: invalid objects are refused with 422 and field paths
and nothing is stored, malformed bodies and methods get 400/405/413 Status objects, requests
without the kubeconfig's token get 401, and every drill gets its own folder."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import drill_auth, rollback_argv

PODS = "/api/v1/namespaces/production/pods"
DEPLOYMENT = "/apis/apps/v1/namespaces/production/deployments/checkout"
SSAR = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
POD = {"apiVersion": "v1", "kind": "Pod",
       "spec": {"containers": [{"name": "app", "image": "registry.local/app:1"}]}}


def call(info: Any, method: str, path: str, body: Any = None, *, auth: bool = True,
         content_type: str = "application/json", headers: dict[str, str] | None = None
         ) -> tuple[int, dict[str, Any]]:
    """One request on its own connection; the status and the decoded JSON answer."""
    parts = urlsplit(info.api)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=15)
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    sent = {"Content-Type": content_type, **(drill_auth(info) if auth else {}),
            **(headers or {})}
    try:
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        raw = response.read()
        assert response.getheader("Content-Type") == "application/json", raw[:200]
        return response.status, json.loads(raw)
    finally:
        conn.close()


def assert_status(answer: tuple[int, dict[str, Any]], code: int, reason: str) -> dict[str, Any]:
    status, body = answer
    assert status == code, body
    assert body["kind"] == "Status" and body["status"] == "Failure", body
    assert body["code"] == code and body["reason"] == reason, body
    return body


def pod_names(info: Any) -> list[str]:
    status, body = call(info, "GET", PODS)
    assert status == 200, body
    return [item["metadata"]["name"] for item in body["items"]]


def causes(body: dict[str, Any]) -> dict[str, str]:
    return {c["field"]: c["reason"] for c in body["details"]["causes"]}


# ---- 422 Invalid: wrong types, names, required fields ------------------------------------------

@pytest.mark.parametrize(("obj", "field", "reason"), [
    ({"metadata": {"name": 5}}, "metadata.name", "FieldValueTypeInvalid"),
    ({"metadata": {"name": "../../x"}}, "metadata.name", "FieldValueInvalid"),
    ({"metadata": {"name": "evil\x1b[2Jname"}}, "metadata.name", "FieldValueInvalid"),
    ({"metadata": {"name": "UpperCase"}}, "metadata.name", "FieldValueInvalid"),
    ({"metadata": {"name": "a" * 254}}, "metadata.name", "FieldValueInvalid"),
    ({"metadata": {"name": "ok", "labels": {"app": 7}}}, "metadata.labels[app]",
     "FieldValueTypeInvalid"),
    ({"metadata": {"name": "ok", "labels": {"app": "bad value!"}}}, "metadata.labels",
     "FieldValueInvalid"),
    ({"metadata": {"name": "ok"}, "spec": 5}, "spec", "FieldValueTypeInvalid"),
    ({"metadata": {"name": "ok"}, "spec": {"containers": []}}, "spec.containers",
     "FieldValueRequired"),
    ({"metadata": {"name": "ok"}, "spec": {"containers": [{"image": "x"}]}},
     "spec.containers[0].name", "FieldValueRequired"),
    ({"metadata": {"name": "ok"}, "spec": {"containers": [{"name": "Bad_Name"}]}},
     "spec.containers[0].name", "FieldValueInvalid"),
    ({"metadata": {"name": "ok"}, "spec": {"containers": [{"name": "a", "ports": [
        {"containerPort": "80"}]}]}}, "spec.containers[0].ports[0].containerPort",
     "FieldValueTypeInvalid"),
    ({"metadata": {}}, "metadata.name", "FieldValueRequired"),
])
def test_an_invalid_pod_is_refused_with_the_field_path_and_not_stored(
        drill, obj: dict[str, Any], field: str, reason: str) -> None:
    _cluster, info = drill("bad-release")
    before = pod_names(info)
    sent = {**POD, **obj} if "spec" in obj else {**POD, "metadata": obj["metadata"]}
    body = assert_status(call(info, "POST", PODS, sent), 422, "Invalid")
    assert causes(body).get(field) == reason, body
    assert body["details"]["kind"] == "Pod"
    assert "\x1b" not in json.dumps(body, ensure_ascii=False)  # shown escaped, never raw
    assert pod_names(info) == before  # nothing stored, and every list still answers


def test_a_valid_pod_is_still_created(drill) -> None:
    _cluster, info = drill("bad-release")
    status, body = call(info, "POST", PODS, {**POD, "metadata": {"name": "web-1.a"}})
    assert status == 201, body
    assert "web-1.a" in pod_names(info)


@pytest.mark.parametrize(("path", "name", "ok"), [
    ("/api/v1/namespaces", "has.dot", False),   # a namespace name is an RFC 1123 label
    ("/api/v1/namespaces", "team-a", True),
    ("/api/v1/namespaces/production/services", "9lives", False),  # a DNS-1035 label
    ("/api/v1/namespaces/production/services", "lives-9", True),
    ("/api/v1/namespaces/production/configmaps", "has.dot", True),  # an RFC 1123 subdomain
])
def test_names_are_checked_as_each_kind_requires(drill, path: str, name: str, ok: bool) -> None:
    _cluster, info = drill("bad-release")
    obj: dict[str, Any] = {"metadata": {"name": name}}
    if path.endswith("services"):
        obj["spec"] = {"ports": [{"port": 80}]}
    status, body = call(info, "POST", path, obj)
    if ok:
        assert status == 201, body
    else:
        assert status == 422 and causes(body) == {"metadata.name": "FieldValueInvalid"}, body


def test_generate_name_may_end_with_a_dash_but_must_be_a_name(drill) -> None:
    _cluster, info = drill("bad-release")
    status, body = call(info, "POST", PODS, {**POD, "metadata": {"generateName": "web-"}})
    assert status == 201 and body["metadata"]["name"].startswith("web-"), body
    body = assert_status(call(info, "POST", PODS, {**POD, "metadata": {"generateName": "../"}}),
                         422, "Invalid")
    assert causes(body) == {"metadata.generateName": "FieldValueInvalid"}


@pytest.mark.parametrize(("content_type", "patch", "field"), [
    ("application/strategic-merge-patch+json",
     {"spec": {"template": {"spec": {"containers": 5}}}}, "spec.template.spec.containers"),
    ("application/merge-patch+json", {"spec": {"replicas": "three"}}, "spec.replicas"),
    ("application/merge-patch+json", {"metadata": {"labels": ["x"]}}, "metadata.labels"),
    ("application/json-patch+json",
     [{"op": "replace", "path": "/metadata/labels/app", "value": 5}], "metadata.labels[app]"),
])
def test_a_patch_giving_a_wrong_type_is_422_and_changes_nothing(
        drill, content_type: str, patch: Any, field: str) -> None:
    _cluster, info = drill("bad-release")
    _, before = call(info, "GET", DEPLOYMENT)
    body = assert_status(call(info, "PATCH", DEPLOYMENT, patch, content_type=content_type),
                         422, "Invalid")
    assert field in causes(body), body
    _, after = call(info, "GET", DEPLOYMENT)
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


def test_an_update_with_a_wrong_type_is_422(drill) -> None:
    _cluster, info = drill("bad-release")
    _, current = call(info, "GET", DEPLOYMENT)
    current["spec"]["template"]["spec"]["containers"][0]["name"] = ["not", "a", "string"]
    body = assert_status(call(info, "PUT", DEPLOYMENT, current), 422, "Invalid")
    assert causes(body) == {"spec.template.spec.containers[0].name": "FieldValueTypeInvalid"}


def test_server_side_apply_with_a_wrong_type_is_422(drill) -> None:
    _cluster, info = drill("bad-release")
    applied = {"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "checkout"}, "spec": {"replicas": {"n": 3}}}
    body = assert_status(call(info, "PATCH", DEPLOYMENT + "?fieldManager=t", applied,
                              content_type="application/apply-patch+yaml"), 422, "Invalid")
    assert causes(body) == {"spec.replicas": "FieldValueTypeInvalid"}


# ---- 400 / 405 / 413 instead of 500 --------------------------------------------------------------

@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
                                  json.dumps(json.loads("[" * 150 + "]" * 150)).encode()])
def test_deeply_nested_json_is_400(drill, body: bytes) -> None:
    _cluster, info = drill("bad-release")
    assert_status(call(info, "POST", PODS, body), 400, "BadRequest")
    assert_status(call(info, "PATCH", DEPLOYMENT, body,
                       content_type="application/merge-patch+json"), 400, "BadRequest")
    assert pod_names(info)


def test_a_huge_content_length_is_413_without_reading_it(drill) -> None:
    _cluster, info = drill("bad-release")
    parts = urlsplit(info.api)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=15)
    try:
        conn.putrequest("POST", PODS)
        for key, value in {**drill_auth(info), "Content-Type": "application/json",
                           "Content-Length": str(10**15)}.items():
            conn.putheader(key, value)
        conn.endheaders()
        response = conn.getresponse()
        body = json.loads(response.read())
    finally:
        conn.close()
    assert response.status == 413 and body["reason"] == "RequestEntityTooLarge", body
    assert pod_names(info)


@pytest.mark.parametrize("review", [{"spec": 5}, {"spec": {"resourceAttributes": 5}},
                                    {"spec": {"resourceAttributes": {"verb": ["get"]}}}])
def test_a_malformed_access_review_is_422(drill, review: dict[str, Any]) -> None:
    _cluster, info = drill("bad-release")
    assert_status(call(info, "POST", SSAR, review), 422, "Invalid")
    status, body = call(info, "POST", SSAR, {"spec": {"resourceAttributes": {
        "verb": "get", "resource": "pods"}}})
    assert status == 201 and body["status"]["allowed"] is True


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE", "BREW"])
def test_unsupported_methods_are_a_405_status(drill, method: str) -> None:
    _cluster, info = drill("bad-release")
    assert_status(call(info, method, PODS), 405, "MethodNotAllowed")


# ---- 401 without the kubeconfig's token --------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": "Basic ZHJpbGw6ZHJpbGw="}])
@pytest.mark.parametrize("path", [PODS, "/api", "/apis", "/openapi/v2", DEPLOYMENT])
def test_requests_without_the_token_are_401(drill, path: str, headers: dict[str, str]) -> None:
    _cluster, info = drill("bad-release")
    assert_status(call(info, "GET", path, auth=False, headers=headers), 401, "Unauthorized")


def test_unauthorized_writes_change_nothing_and_version_stays_public(drill) -> None:
    _cluster, info = drill("bad-release")
    before = pod_names(info)
    assert_status(call(info, "POST", PODS, {**POD, "metadata": {"name": "intruder"}},
                       auth=False), 401, "Unauthorized")
    assert pod_names(info) == before
    status, body = call(info, "GET", "/version", auth=False)
    assert status == 200 and body["gitVersion"]


def test_the_kubeconfig_carries_a_token_of_its_own_only_its_owner_reads(drill) -> None:
    _one, first = drill("bad-release")
    _two, second = drill("bad-release")
    assert drill_auth(first) != drill_auth(second)
    assert os.stat(first.kubeconfig).st_mode & 0o077 == 0
    status, _ = call(first, "GET", PODS, headers=drill_auth(second))
    assert status == 401


def test_kubectl_sends_the_token(drill, kubectl) -> None:
    _cluster, info = drill("bad-release")
    result = kubectl(info, "get", "pods", "-n", "production")
    assert result.returncode == 0, result.stderr
    Path(info.kubeconfig).write_text(Path(info.kubeconfig).read_text().replace(
        "token: drill-", "token: stolen-"))
    refused = kubectl(info, "get", "pods", "-n", "production")
    assert refused.returncode != 0 and "Unauthorized" in refused.stderr, refused.stderr


# ---- a folder of its own for every drill ---------------------------------------------------------

def test_two_drills_started_together_get_their_own_folders_and_kubeconfigs() -> None:
    argv = [*rollback_argv(), "drill", "--serve", "--speed", "20"]
    processes = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env=os.environ.copy()) for _ in range(2)]
    try:
        ready = [json.loads(p.stdout.readline()) for p in processes]
        folders = {str(Path(r["kubeconfig"]).parent) for r in ready}
        assert len(folders) == 2, folders
        for info in ready:
            kubeconfig = Path(info["kubeconfig"]).read_text()
            assert info["api"].partition("://")[2] + "\n" in kubeconfig  # its own, not the other
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        errors = [p.communicate(timeout=20)[1] for p in processes]
    assert all("Traceback" not in err for err in errors), errors
