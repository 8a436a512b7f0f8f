"""The drill cluster's patch functions: RFC 6902, RFC 7386 and the bodies kubectl really sends."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.drill.patch import (
    PatchError,
    apply_json_patch,
    apply_merge_patch,
    apply_strategic_merge_patch,
    patch_is_noop,
)

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"


def deployment() -> dict[str, Any]:
    """A Deployment as the drill cluster stores it: one container `app` with env A."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x", "namespace": "shop", "labels": {"app": "x"},
                     "annotations": {"deployment.kubernetes.io/revision": "3"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "x"}},
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {
                "metadata": {"labels": {"app": "x"}},
                "spec": {
                    "containers": [{
                        "name": "app",
                        "image": "img:1",
                        "args": ["--a", "--b", "--c"],
                        "env": [{"name": "A", "value": "1"}],
                        "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                    }],
                    "volumes": [{"name": "data", "emptyDir": {}}],
                    "tolerations": [{"key": "a", "operator": "Exists"}],
                },
            },
        },
        "status": {"conditions": [
            {"type": "Available", "status": "True"},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
        ]},
    }


def service() -> dict[str, Any]:
    """A Service with a two-label selector and two ports."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "selector": {"app": "web", "version": "green"},
            "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"},
                      {"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"}],
        },
    }


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    """The pod template spec of a Deployment."""
    return doc["spec"]["template"]["spec"]


def container(doc: dict[str, Any], name: str = "app") -> dict[str, Any]:
    """The named container of a Deployment's pod template."""
    return next(c for c in pod_spec(doc)["containers"] if c["name"] == name)


def dollar_keys(value: Any) -> list[str]:
    """Every `$`-prefixed key anywhere inside a JSON value."""
    if isinstance(value, dict):
        own = [key for key in value if key.startswith("$")]
        return own + [k for item in value.values() for k in dollar_keys(item)]
    if isinstance(value, list):
        return [k for item in value for k in dollar_keys(item)]
    return []


def containers_of(value: Any) -> set[int]:
    """The ids of every dict and list inside a JSON value (to check results share nothing)."""
    if isinstance(value, dict):
        return {id(value)}.union(*(containers_of(item) for item in value.values()))
    if isinstance(value, list):
        return {id(value)}.union(*(containers_of(item) for item in value))
    return set()


# --- RFC 6902 appendix A -------------------------------------------------------------------

RFC6902_OK = {
    "A.1 adding an object member": (
        {"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux"}],
        {"baz": "qux", "foo": "bar"}),
    "A.2 adding an array element": (
        {"foo": ["bar", "baz"]}, [{"op": "add", "path": "/foo/1", "value": "qux"}],
        {"foo": ["bar", "qux", "baz"]}),
    "A.3 removing an object member": (
        {"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}], {"foo": "bar"}),
    "A.4 removing an array element": (
        {"foo": ["bar", "qux", "baz"]}, [{"op": "remove", "path": "/foo/1"}],
        {"foo": ["bar", "baz"]}),
    "A.5 replacing a value": (
        {"baz": "qux", "foo": "bar"}, [{"op": "replace", "path": "/baz", "value": "boo"}],
        {"baz": "boo", "foo": "bar"}),
    "A.6 moving a value": (
        {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
        [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
        {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}}),
    "A.7 moving an array element": (
        {"foo": ["all", "grass", "cows", "eat"]},
        [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
        {"foo": ["all", "cows", "eat", "grass"]}),
    "A.8 testing a value: success": (
        {"baz": "qux", "foo": ["a", 2, "c"]},
        [{"op": "test", "path": "/baz", "value": "qux"},
         {"op": "test", "path": "/foo/1", "value": 2}],
        {"baz": "qux", "foo": ["a", 2, "c"]}),
    "A.10 adding a nested member object": (
        {"foo": "bar"}, [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
        {"foo": "bar", "child": {"grandchild": {}}}),
    "A.11 ignoring unrecognized elements": (
        {"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}],
        {"foo": "bar", "baz": "qux"}),
    "A.14 ~ escape ordering": (
        {"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": 10}], {"/": 9, "~1": 10}),
    "A.16 adding an array value": (
        {"foo": ["bar"]}, [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
        {"foo": ["bar", ["abc", "def"]]}),
}

RFC6902_ERRORS = {
    "A.9 testing a value: error": (
        {"baz": "qux"}, [{"op": "test", "path": "/baz", "value": "bar"}], "/baz"),
    "A.12 adding to a nonexistent target": (
        {"foo": "bar"}, [{"op": "add", "path": "/baz/bat", "value": "qux"}], "/baz/bat"),
    # A.13's duplicate "op" member cannot survive json.loads into a dict; an op object without
    # a usable "op" is the same class of error: an invalid JSON patch document.
    "A.13 invalid json patch document": (
        {"foo": "bar"}, [{"path": "/baz", "value": "qux"}], "operation 0"),
    "A.15 comparing strings and numbers": (
        {"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": "10"}], "/~01"),
}


@pytest.mark.parametrize("doc,ops,expected", RFC6902_OK.values(), ids=RFC6902_OK.keys())
def test_rfc6902_appendix_examples(doc: Any, ops: list, expected: Any) -> None:
    assert apply_json_patch(doc, ops) == expected


@pytest.mark.parametrize("doc,ops,where", RFC6902_ERRORS.values(), ids=RFC6902_ERRORS.keys())
def test_rfc6902_appendix_errors(doc: Any, ops: list, where: str) -> None:
    before = copy.deepcopy(doc)
    with pytest.raises(PatchError, match=where):
        apply_json_patch(doc, ops)
    assert doc == before


def test_json_patch_test_failure_names_the_op_and_path() -> None:
    with pytest.raises(PatchError) as caught:
        apply_json_patch(deployment(), [{"op": "test", "path": "/spec/replicas", "value": 2}])
    assert str(caught.value).startswith("json patch test operation failed at /spec/replicas")
    assert "found 3, expected 2" in str(caught.value)
    assert caught.value.code == 422


@pytest.mark.parametrize("ops,where", [
    ([{"op": "remove", "path": "/spec/paused"}], "/spec/paused"),
    ([{"op": "replace", "path": "/spec/paused", "value": True}], "/spec/paused"),
    ([{"op": "remove", "path": "/spec/template/spec/containers/1"}], "containers/1"),
    ([{"op": "add", "path": "/spec/template/spec/containers/2", "value": {}}], "out of range"),
    ([{"op": "add", "path": "/spec/template/spec/containers/01", "value": {}}], "not an array"),
    ([{"op": "remove", "path": "/spec/template/spec/containers/-"}], "containers/-"),
    ([{"op": "replace", "path": "/spec/replicas/x", "value": 1}], "/spec/replicas/x"),
    ([{"op": "move", "from": "/nope", "path": "/spec/x"}], "/nope"),
    ([{"op": "copy", "from": "/nope", "path": "/spec/x"}], "/nope"),
    ([{"op": "remove", "path": ""}], "whole document"),
])
def test_json_patch_paths_that_do_not_apply(ops: list, where: str) -> None:
    with pytest.raises(PatchError, match=where) as caught:
        apply_json_patch(deployment(), ops)
    assert caught.value.code == 422


@pytest.mark.parametrize("ops", [
    {"op": "add", "path": "/a", "value": 1},
    ["add"],
    [{"op": "frobnicate", "path": "/a"}],
    [{"op": "add", "value": 1}],
    [{"op": "add", "path": "/a"}],
    [{"op": "replace", "path": "/metadata"}],
    [{"op": "test", "path": "/metadata"}],
    [{"op": "move", "path": "/a"}],
    [{"op": "copy", "path": "/a"}],
    [{"op": "add", "path": "a", "value": 1}],
    [{"op": "add", "path": 7, "value": 1}],
    [{"op": "add", "path": "/a~2b", "value": 1}],
    [{"op": "move", "from": "/spec", "path": "/spec/template/x"}],
])
def test_json_patch_malformed_operations_are_bad_requests(ops: Any) -> None:
    with pytest.raises(PatchError) as caught:
        apply_json_patch(deployment(), ops)
    assert caught.value.code == 400


def test_json_patch_pointer_escapes() -> None:
    doc = {"metadata": {"annotations": {}}}
    ops = [{"op": "add", "path": "/metadata/annotations/example.com~1owner", "value": "me"},
           {"op": "add", "path": "/metadata/annotations/til~0de", "value": "~"},
           {"op": "test", "path": "/metadata/annotations/example.com~1owner", "value": "me"}]
    assert apply_json_patch(doc, ops) == {
        "metadata": {"annotations": {"example.com/owner": "me", "til~de": "~"}}}


def test_json_patch_array_edges_and_root() -> None:
    assert apply_json_patch({"a": [1, 2]}, [{"op": "add", "path": "/a/2", "value": 3}]) == {
        "a": [1, 2, 3]}
    assert apply_json_patch({"a": [1, 2]}, [{"op": "add", "path": "/a/0", "value": 0}]) == {
        "a": [0, 1, 2]}
    assert apply_json_patch({"a": 1}, [{"op": "replace", "path": "", "value": [1]}]) == [1]
    assert apply_json_patch({"a": 1}, [{"op": "add", "path": "", "value": {"b": 2}}]) == {"b": 2}
    assert apply_json_patch({"a": 1}, [{"op": "move", "from": "/a", "path": "/a"}]) == {"a": 1}
    assert apply_json_patch({"a": 1}, []) == {"a": 1}


def test_json_patch_test_uses_json_equality() -> None:
    doc = {"n": 1, "b": True, "o": {"x": 1, "y": [1, 2]}}
    assert apply_json_patch(doc, [{"op": "test", "path": "/n", "value": 1.0}]) == doc
    assert apply_json_patch(doc, [{"op": "test", "path": "/o", "value": {"y": [1, 2], "x": 1}}])
    for wrong in ([{"op": "test", "path": "/b", "value": 1}],
                  [{"op": "test", "path": "/n", "value": True}],
                  [{"op": "test", "path": "/o/y", "value": [2, 1]}]):
        with pytest.raises(PatchError):
            apply_json_patch(doc, wrong)


def test_json_patch_copy_does_not_alias() -> None:
    result = apply_json_patch({"a": {"b": [1]}}, [{"op": "copy", "from": "/a", "path": "/c"}])
    result["c"]["b"].append(2)
    assert result == {"a": {"b": [1]}, "c": {"b": [1, 2]}}


def test_json_patch_is_atomic() -> None:
    doc = {"a": 1}
    with pytest.raises(PatchError):
        apply_json_patch(doc, [{"op": "add", "path": "/b", "value": 2},
                               {"op": "remove", "path": "/zzz"}])
    assert doc == {"a": 1}


def test_kubectl_rollout_undo_json_patch() -> None:
    doc = deployment()
    template = copy.deepcopy(doc["spec"]["template"])
    container_ = template["spec"]["containers"][0]
    container_["image"] = "img:0"
    annotations = {"deployment.kubernetes.io/revision": "3", "note": "restored"}
    ops = [{"op": "replace", "path": "/spec/template", "value": template},
           {"op": "replace", "path": "/metadata/annotations", "value": annotations}]
    result = apply_json_patch(doc, ops)
    assert container(result)["image"] == "img:0"
    assert result["metadata"]["annotations"] == annotations
    assert container(doc)["image"] == "img:1"


# --- RFC 7386 -------------------------------------------------------------------------------

RFC7386_APPENDIX = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize("doc,patch,expected", RFC7386_APPENDIX)
def test_rfc7386_appendix_examples(doc: Any, patch: Any, expected: Any) -> None:
    assert apply_merge_patch(doc, patch) == expected


def test_rfc7386_section_3_example() -> None:
    doc = {"title": "Goodbye!", "author": {"givenName": "John", "familyName": "Doe"},
           "tags": ["example", "sample"], "content": "This will be unchanged"}
    patch = {"title": "Hello!", "phoneNumber": "+01-123-456-7890",
             "author": {"familyName": None}, "tags": ["example"]}
    assert apply_merge_patch(doc, patch) == {
        "title": "Hello!", "author": {"givenName": "John"}, "tags": ["example"],
        "content": "This will be unchanged", "phoneNumber": "+01-123-456-7890"}


def test_kubectl_scale_merge_patch() -> None:
    result = apply_merge_patch(deployment(), {"spec": {"replicas": 5}})
    assert result["spec"]["replicas"] == 5
    assert pod_spec(result) == pod_spec(deployment())


# --- strategic merge patch: what kubectl sends -----------------------------------------------

def smp(doc: dict[str, Any], patch: dict[str, Any], kind: str = "Deployment") -> Any:
    """Apply a strategic merge patch, checking the inputs stay untouched and no `$` key leaks."""
    doc_before, patch_before = copy.deepcopy(doc), copy.deepcopy(patch)
    result = apply_strategic_merge_patch(doc, patch, kind)
    assert doc == doc_before and patch == patch_before
    assert dollar_keys(result) == []
    return result


def test_kubectl_set_env_adds_a_variable_in_order() -> None:
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "app"}],
        "containers": [{"$setElementOrder/env": [{"name": "A"}, {"name": "K"}],
                        "env": [{"name": "K", "value": "V"}], "name": "app"}]}}}}
    result = smp(deployment(), patch)
    assert container(result)["env"] == [{"name": "A", "value": "1"}, {"name": "K", "value": "V"}]
    expected = deployment()
    container(expected)["env"].append({"name": "K", "value": "V"})
    assert result == expected


def test_kubectl_set_env_changes_an_existing_variable() -> None:
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "app"}],
        "containers": [{"$setElementOrder/env": [{"name": "A"}],
                        "env": [{"name": "A", "value": "2"}], "name": "app"}]}}}}
    assert container(smp(deployment(), patch))["env"] == [{"name": "A", "value": "2"}]


def test_kubectl_set_env_removes_a_variable_with_patch_delete() -> None:
    doc = deployment()
    container(doc)["env"] = [{"name": "A", "value": "1"}, {"name": "K", "value": "V"}]
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "app"}],
        "containers": [{"$setElementOrder/env": [{"name": "A"}],
                        "env": [{"$patch": "delete", "name": "K"}], "name": "app"}]}}}}
    assert container(smp(doc, patch))["env"] == [{"name": "A", "value": "1"}]


def test_kubectl_set_image() -> None:
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "app"}],
        "containers": [{"image": "img:2", "name": "app"}]}}}}
    result = smp(deployment(), patch)
    expected = deployment()
    container(expected)["image"] = "img:2"
    assert result == expected


def test_set_image_on_one_container_keeps_the_sidecar() -> None:
    doc = deployment()
    pod_spec(doc)["containers"].append({"name": "proxy", "image": "envoy:1"})
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "app"}, {"name": "proxy"}],
        "containers": [{"image": "envoy:2", "name": "proxy"}]}}}}
    result = smp(doc, patch)
    assert [(c["name"], c["image"]) for c in pod_spec(result)["containers"]] == [
        ("app", "img:1"), ("proxy", "envoy:2")]


def test_setting_the_same_image_is_a_noop() -> None:
    doc = deployment()
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "app"}],
        "containers": [{"image": "img:1", "name": "app"}]}}}}
    assert patch_is_noop(doc, smp(doc, patch))


def test_kubectl_rollout_pause_and_resume() -> None:
    paused = smp(deployment(), {"spec": {"paused": True}})
    assert paused["spec"]["paused"] is True
    resumed = smp(paused, {"spec": {"paused": None}})
    assert "paused" not in resumed["spec"]
    assert resumed == deployment()
    assert smp(deployment(), {"spec": {"paused": None}}) == deployment()


def test_kubectl_rollout_restart_adds_the_annotation() -> None:
    patch = {"spec": {"template": {"metadata": {"annotations": {
        RESTARTED_AT: "2025-01-01T00:00:00Z"}}}}}
    result = smp(deployment(), patch)
    assert result["spec"]["template"]["metadata"] == {
        "labels": {"app": "x"}, "annotations": {RESTARTED_AT: "2025-01-01T00:00:00Z"}}
    again = {"spec": {"template": {"metadata": {"annotations": {
        RESTARTED_AT: "2025-01-02T00:00:00Z"}}}}}
    doc = copy.deepcopy(result)
    doc["spec"]["template"]["metadata"]["annotations"]["other"] = "kept"
    assert smp(doc, again)["spec"]["template"]["metadata"]["annotations"] == {
        RESTARTED_AT: "2025-01-02T00:00:00Z", "other": "kept"}


def test_kubectl_patch_svc_selector_merges() -> None:
    result = smp(service(), {"spec": {"selector": {"version": "blue"}}}, "Service")
    assert result["spec"]["selector"] == {"app": "web", "version": "blue"}
    assert result["spec"]["ports"] == service()["spec"]["ports"]


def test_service_ports_merge_by_port() -> None:
    patch = {"spec": {"ports": [{"port": 80, "targetPort": 9090},
                                {"name": "metrics", "port": 9100, "targetPort": 9100}]}}
    ports = smp(service(), patch, "Service")["spec"]["ports"]
    assert ports == [
        {"name": "http", "port": 80, "targetPort": 9090, "protocol": "TCP"},
        {"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"},
        {"name": "metrics", "port": 9100, "targetPort": 9100}]
    dropped = smp(service(), {"spec": {"ports": [{"$patch": "delete", "port": 443}]}}, "Service")
    assert [p["port"] for p in dropped["spec"]["ports"]] == [80]


def test_container_ports_merge_by_container_port() -> None:
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "ports": [
        {"containerPort": 8080, "name": "http"}, {"containerPort": 9100}]}]}}}}
    assert container(smp(deployment(), patch))["ports"] == [
        {"containerPort": 8080, "protocol": "TCP", "name": "http"}, {"containerPort": 9100}]


def test_merge_keys_follow_the_kind_and_path() -> None:
    pod = {"kind": "Pod", "spec": {"containers": [{"name": "a", "image": "i:1",
                                                   "ports": [{"containerPort": 1}]}]}}
    patch = {"spec": {"containers": [{"name": "b", "image": "i:2"}]}}
    assert [c["name"] for c in smp(pod, patch, "Pod")["spec"]["containers"]] == ["a", "b"]
    # A Deployment has no spec.containers, so there the list has no merge key: replaced.
    assert smp(pod, patch, "Deployment")["spec"]["containers"] == [{"name": "b", "image": "i:2"}]
    # Likewise a Pod's spec.template.spec.containers is not the pod template.
    nested = {"spec": {"template": {"spec": {"containers": [{"name": "a"}]}}}}
    nested_patch = {"spec": {"template": {"spec": {"containers": [{"name": "b"}]}}}}
    assert smp(nested, nested_patch, "Pod")["spec"]["template"]["spec"]["containers"] == [
        {"name": "b"}]
    assert smp(nested, nested_patch, "ReplicaSet")["spec"]["template"]["spec"]["containers"] == [
        {"name": "a"}, {"name": "b"}]
    # ports: by port on a Service's spec, by containerPort inside a container.
    pod_ports = {"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 1, "port": 9}]}]}}
    ports_patch = {"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 2,
                                                                    "port": 9}]}]}}
    assert smp(pod_ports, ports_patch, "Pod")["spec"]["containers"][0]["ports"] == [
        {"containerPort": 1, "port": 9}, {"containerPort": 2, "port": 9}]
    svc_ports = {"spec": {"ports": [{"port": 9, "containerPort": 1}]}}
    svc_patch = {"spec": {"ports": [{"port": 9, "containerPort": 2}]}}
    assert smp(svc_ports, svc_patch, "Service")["spec"]["ports"] == [
        {"port": 9, "containerPort": 2}]


def test_volumes_mounts_init_containers_and_pull_secrets_merge_by_key() -> None:
    doc = deployment()
    pod_spec(doc)["initContainers"] = [{"name": "init", "image": "busybox"}]
    pod_spec(doc)["imagePullSecrets"] = [{"name": "regcred"}]
    patch = {"spec": {"template": {"spec": {
        "volumes": [{"name": "cache", "emptyDir": {"medium": "Memory"}}],
        "imagePullSecrets": [{"name": "other"}],
        "initContainers": [{"name": "init", "image": "busybox:2"}],
        "containers": [{"name": "app", "volumeMounts": [
            {"mountPath": "/data", "readOnly": True},
            {"name": "cache", "mountPath": "/cache"}]}]}}}}
    result = pod_spec(smp(doc, patch))
    assert [v["name"] for v in result["volumes"]] == ["data", "cache"]
    assert result["imagePullSecrets"] == [{"name": "regcred"}, {"name": "other"}]
    assert result["initContainers"] == [{"name": "init", "image": "busybox:2"}]
    assert result["containers"][0]["volumeMounts"] == [
        {"name": "data", "mountPath": "/data", "readOnly": True},
        {"name": "cache", "mountPath": "/cache"}]


def test_conditions_merge_by_type_and_owner_references_by_uid() -> None:
    patch = {"status": {"conditions": [{"type": "Progressing", "status": "False",
                                        "reason": "ProgressDeadlineExceeded"}]}}
    conditions = smp(deployment(), patch)["status"]["conditions"]
    assert conditions == [
        {"type": "Available", "status": "True"},
        {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]
    rs = {"metadata": {"ownerReferences": [{"uid": "u1", "name": "x", "controller": True}]}}
    merged = smp(rs, {"metadata": {"ownerReferences": [{"uid": "u1", "controller": False},
                                                       {"uid": "u2", "name": "y"}]}},
                 "ReplicaSet")
    assert merged["metadata"]["ownerReferences"] == [
        {"uid": "u1", "name": "x", "controller": False}, {"uid": "u2", "name": "y"}]


def test_tolerations_args_and_unlisted_lists_are_replaced() -> None:
    patch = {"spec": {"template": {"spec": {
        "tolerations": [{"key": "b", "operator": "Exists"}],
        "containers": [{"name": "app", "args": ["--z"]}]}}}}
    result = smp(deployment(), patch)
    assert pod_spec(result)["tolerations"] == [{"key": "b", "operator": "Exists"}]
    assert container(result)["args"] == ["--z"]


def test_patch_replace_in_a_list_replaces_the_list() -> None:
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "new", "image": "new:1"}, {"$patch": "replace"}]}}}}
    assert pod_spec(smp(deployment(), patch))["containers"] == [{"name": "new", "image": "new:1"}]


def test_patch_replace_and_delete_on_maps() -> None:
    replaced = smp(service(), {"spec": {"selector": {"$patch": "replace", "app": "api"}}},
                   "Service")
    assert replaced["spec"]["selector"] == {"app": "api"}
    deleted = smp(deployment(), {"spec": {"strategy": {"$patch": "delete"}}})
    assert "strategy" not in deleted["spec"]
    merged = smp(service(), {"spec": {"selector": {"$patch": "merge", "tier": "web"}}}, "Service")
    assert merged["spec"]["selector"] == {"app": "web", "version": "green", "tier": "web"}
    whole = smp(service(), {"$patch": "replace", "kind": "Service", "spec": {}}, "Service")
    assert whole == {"kind": "Service", "spec": {}}


def test_retain_keys_switching_the_rollout_strategy() -> None:
    recreate = smp(deployment(), {"spec": {"strategy": {"$retainKeys": ["type"],
                                                        "type": "Recreate"}}})
    assert recreate["spec"]["strategy"] == {"type": "Recreate"}
    rolling = smp(recreate, {"spec": {"strategy": {
        "$retainKeys": ["rollingUpdate", "type"], "rollingUpdate": {"maxSurge": 1},
        "type": "RollingUpdate"}}})
    assert rolling["spec"]["strategy"] == {"type": "RollingUpdate",
                                           "rollingUpdate": {"maxSurge": 1}}
    with pytest.raises(PatchError, match="rollingUpdate") as caught:
        apply_strategic_merge_patch(deployment(), {"spec": {"strategy": {
            "$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": {}}}}, "Deployment")
    assert caught.value.code == 422


def test_delete_from_primitive_list() -> None:
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "$deleteFromPrimitiveList/args": ["--b"]}]}}}}
    assert container(smp(deployment(), patch))["args"] == ["--a", "--c"]


def test_finalizers_merge_as_a_set_like_kubectl_apply_expects() -> None:
    doc = {"metadata": {"finalizers": ["a", "b"]}}
    patch = {"metadata": {"$setElementOrder/finalizers": ["b", "c"], "finalizers": ["c"],
                          "$deleteFromPrimitiveList/finalizers": ["a"]}}
    assert smp(doc, patch, "ConfigMap")["metadata"]["finalizers"] == ["b", "c"]


def test_set_element_order_reorders_and_keeps_unmentioned_items_after() -> None:
    doc = deployment()
    container(doc)["env"] = [{"name": n, "value": n} for n in ("A", "B", "C")]
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "$setElementOrder/env": [{"name": "C"}, {"name": "D"}, {"name": "A"}],
         "env": [{"name": "D", "value": "D"}]}]}}}}
    assert [e["name"] for e in container(smp(doc, patch))["env"]] == ["C", "D", "A", "B"]


def test_new_fields_are_taken_from_the_patch_without_directives() -> None:
    doc = deployment()
    del pod_spec(doc)["volumes"]
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/volumes": [{"name": "v"}],
        "volumes": [{"name": "v", "emptyDir": {}}],
        "$setElementOrder/containers": [{"name": "app"}, {"name": "side"}],
        "containers": [{"name": "side", "image": "s:1",
                        "$setElementOrder/env": [{"name": "X"}],
                        "env": [{"name": "X", "value": "1"}, {"$patch": "delete", "name": "Y"}]}],
    }}}}
    result = pod_spec(smp(doc, patch))
    assert result["volumes"] == [{"name": "v", "emptyDir": {}}]
    assert result["containers"][1] == {"name": "side", "image": "s:1",
                                       "env": [{"name": "X", "value": "1"}]}


def test_configmap_namespace_event_and_unknown_kinds_merge_maps() -> None:
    cm = {"kind": "ConfigMap", "data": {"a": "1", "old": "x"}}
    assert smp(cm, {"data": {"a": "2", "old": None, "new": "3"}}, "ConfigMap")["data"] == {
        "a": "2", "new": "3"}
    ns = {"kind": "Namespace", "metadata": {"name": "shop", "labels": {"team": "a"}}}
    assert smp(ns, {"metadata": {"labels": {"env": "prod"}}}, "Namespace")["metadata"][
        "labels"] == {"team": "a", "env": "prod"}
    event = {"kind": "Event", "count": 1, "reason": "Pulled"}
    assert smp(event, {"count": 2}, "Event") == {"kind": "Event", "count": 2, "reason": "Pulled"}
    scale = {"kind": "Scale", "spec": {"replicas": 1}}
    assert smp(scale, {"spec": {"replicas": 4}}, "Scale") == {"kind": "Scale",
                                                              "spec": {"replicas": 4}}


def test_type_changes_and_null_on_absent_keys() -> None:
    doc = {"spec": {"a": "scalar", "b": {"c": 1}}}
    result = smp(doc, {"spec": {"a": {"x": 1}, "b": "flat", "missing": None}}, "ConfigMap")
    assert result == {"spec": {"a": {"x": 1}, "b": "flat"}}


@pytest.mark.parametrize("patch,where", [
    ({"spec": {"strategy": {"$patch": "frobnicate"}}}, "frobnicate"),
    ({"spec": {"template": {"spec": {"containers": [{"$patch": "nope", "name": "app"}]}}}},
     "nope"),
    ({"spec": {"$frobnicate": 1}}, r"\$frobnicate"),
    ({"spec": {"$setElementOrder/x": "not a list"}}, "must be a list"),
    ({"spec": {"$deleteFromPrimitiveList/x": {"a": 1}}}, "must be a list"),
    ({"spec": {"strategy": {"$retainKeys": "type"}}}, "retainKeys"),
    ({"spec": {"template": {"spec": {"containers": [{"image": "no-name"}]}}}}, "merge key"),
    ({"spec": {"template": {"spec": {"containers": ["app"]}}}}, "merge key"),
    ({"spec": {"template": {"spec": {"containers": [{"$patch": "delete"}]}}}}, "merge key"),
    ({"spec": {"template": {"spec": {"$setElementOrder/containers": ["app"]}}}}, "merge key"),
])
def test_strategic_merge_patch_errors(patch: dict[str, Any], where: str) -> None:
    doc = deployment()
    with pytest.raises(PatchError, match=where) as caught:
        apply_strategic_merge_patch(doc, patch, "Deployment")
    assert caught.value.code == 400
    assert doc == deployment()


def test_strategic_merge_patch_needs_objects() -> None:
    with pytest.raises(PatchError):
        apply_strategic_merge_patch(deployment(), [{"op": "add"}], "Deployment")
    with pytest.raises(PatchError):
        apply_strategic_merge_patch([], {"a": 1}, "Deployment")


def test_patch_is_noop() -> None:
    assert patch_is_noop(deployment(), deployment())
    assert patch_is_noop({"a": 1, "b": [1.0]}, {"b": [1], "a": 1})
    assert not patch_is_noop({"a": 1}, {"a": True})
    assert not patch_is_noop({"a": [1, 2]}, {"a": [2, 1]})
    assert not patch_is_noop({"a": None}, {})
    assert not patch_is_noop(deployment(), smp(deployment(), {"spec": {"paused": True}}))


# --- properties -------------------------------------------------------------------------------

SCALARS = (st.none() | st.booleans() | st.integers(-5, 5)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=3))
# Keys with "~", "/" and digits exercise JSON pointer escaping and array-index parsing.
KEYS = st.text(alphabet="ab~/01-", max_size=3)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(KEYS, inner, max_size=4), max_leaves=20)
JSON_OBJECTS = st.dictionaries(KEYS, JSON, max_size=5)

# Strategic patches aimed at the merge machinery: real field names mixed with every directive.
SMP_KEYS = st.sampled_from(["spec", "template", "containers", "env", "name", "value", "image",
                            "args", "ports", "port", "containerPort", "metadata", "status",
                            "conditions", "type", "a"])
SMP_SCALARS = st.none() | st.integers(0, 3) | st.sampled_from(["app", "A", "x"])
NAMED = st.fixed_dictionaries({"name": st.sampled_from(["app", "A", "x"])})
# Directives with mostly well-formed values, so most patches get past validation.
DIRECTIVES = st.fixed_dictionaries({}, optional={
    "$patch": st.sampled_from(["replace", "delete", "merge", "merge", "merge", "bogus"]),
    "$retainKeys": st.lists(SMP_KEYS, max_size=4),
    "$setElementOrder/containers": st.lists(NAMED, max_size=3),
    "$setElementOrder/env": st.lists(NAMED, max_size=3),
    "$setElementOrder/args": st.lists(SMP_SCALARS, max_size=3),
    "$deleteFromPrimitiveList/args": st.lists(SMP_SCALARS, max_size=3),
})


def _with_directives(plain: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict]:
    """Objects from `plain`, some with directive keys added."""
    return st.builds(lambda data, directives: {**data, **directives}, plain,
                     st.one_of(st.just({}), DIRECTIVES))


def _smp_values(dollar: bool) -> st.SearchStrategy[Any]:
    """JSON values over Kubernetes-ish field names; with `dollar`, objects carry directives."""
    def objects(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
        plain = st.dictionaries(SMP_KEYS, inner, max_size=4)
        return _with_directives(plain) if dollar else plain

    return st.recursive(SMP_SCALARS, lambda inner: st.lists(inner, max_size=3)
                        | objects(inner), max_leaves=25)


SMP_DOCS = st.dictionaries(SMP_KEYS, _smp_values(False), max_size=4)
SMP_PATCHES = _with_directives(st.dictionaries(SMP_KEYS, _smp_values(True), max_size=4))
# Shared machines run several suites at once: judge the properties, not the wall clock.
PROPERTY = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
KINDS = st.sampled_from(["Deployment", "ReplicaSet", "Pod", "Service", "ConfigMap", "Namespace",
                         "Event", "Scale"])


@st.composite
def kubectl_patches(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A deployment and a set env / set image style patch against it."""
    names = draw(st.lists(st.sampled_from("ABCDK"), unique=True, max_size=4))
    doc = deployment()
    container(doc)["env"] = [{"name": n, "value": n.lower()} for n in names]
    items = []
    for name in draw(st.lists(st.sampled_from("ABCDK"), unique=True, max_size=4)):
        if draw(st.booleans()):
            items.append({"$patch": "delete", "name": name})
        else:
            items.append({"name": name, "value": draw(st.text(max_size=2))})
    order = [{"name": n} for n in draw(st.permutations(sorted(set(names) | {"K"})))]
    item: dict[str, Any] = {"name": "app", "$setElementOrder/env": order, "env": items}
    if draw(st.booleans()):
        item["image"] = draw(st.sampled_from(["img:1", "img:2"]))
    spec: dict[str, Any] = {"$setElementOrder/containers": [{"name": "app"}],
                            "containers": [item]}
    if draw(st.booleans()):
        spec["containers"].append({"$patch": "replace"})
    return doc, {"spec": {"template": {"spec": spec}}}


@st.composite
def doc_and_pointer(draw: st.DrawFn) -> tuple[Any, str, Any]:
    """A JSON document, a pointer into it, and the value the pointer names."""
    doc = draw(JSON)
    node, pointer = doc, ""
    while isinstance(node, dict | list) and node and draw(st.booleans()):
        if isinstance(node, dict):
            key = draw(st.sampled_from(sorted(node)))
            node, token = node[key], key
        else:
            index = draw(st.integers(0, len(node) - 1))
            node, token = node[index], str(index)
        pointer += "/" + token.replace("~", "~0").replace("/", "~1")
    return doc, pointer, node


@PROPERTY
@given(JSON_OBJECTS)
def test_merge_patch_with_empty_object_is_identity(doc: dict[str, Any]) -> None:
    assert apply_merge_patch(doc, {}) == doc


@PROPERTY
@given(JSON.filter(lambda value: not isinstance(value, dict)))
def test_merge_patch_object_onto_non_object_starts_from_empty(doc: Any) -> None:
    assert apply_merge_patch(doc, {}) == {}


@PROPERTY
@given(JSON, JSON)
def test_merge_patch_is_idempotent(doc: Any, patch: Any) -> None:
    once = apply_merge_patch(doc, patch)
    assert apply_merge_patch(once, patch) == once


@PROPERTY
@given(doc_and_pointer())
def test_json_patch_test_of_a_value_read_from_the_doc_succeeds(case: tuple[Any, str, Any]) -> None:
    doc, pointer, value = case
    assert apply_json_patch(doc, [{"op": "test", "path": pointer, "value": value}]) == doc


@PROPERTY
@given(doc_and_pointer(), JSON)
def test_json_patch_replace_then_test_round_trips(case: tuple[Any, str, Any], value: Any) -> None:
    doc, pointer, _ = case
    ops = [{"op": "replace", "path": pointer, "value": value},
           {"op": "test", "path": pointer, "value": value}]
    apply_json_patch(doc, ops)


@PROPERTY
@given(kubectl_patches())
def test_kubectl_style_patches_apply_cleanly(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
    doc, patch = case
    result = smp(doc, patch)
    names = [e["name"] for e in container(result).get("env", [])]
    assert len(names) == len(set(names))
    deleted = {i["name"] for i in patch["spec"]["template"]["spec"]["containers"][0]["env"]
               if i.get("$patch") == "delete"}
    assert not deleted & set(names)


@settings(PROPERTY, max_examples=300)
@given(SMP_DOCS, SMP_PATCHES, KINDS)
def test_strategic_patch_never_leaves_a_directive(doc: dict, patch: dict, kind: str) -> None:
    doc_before, patch_before = copy.deepcopy(doc), copy.deepcopy(patch)
    try:
        result = apply_strategic_merge_patch(doc, patch, kind)
    except PatchError:
        result = None
    assert doc == doc_before and patch == patch_before
    assert dollar_keys(result) == []


@PROPERTY
@given(SMP_DOCS, SMP_DOCS, KINDS)
def test_strategic_patch_without_directives_or_lists_is_a_merge_patch(
        doc: dict, patch: dict, kind: str) -> None:
    try:
        result = apply_strategic_merge_patch(doc, patch, kind)
    except PatchError:
        return  # e.g. a containers list of scalars: not mergeable by name
    if not any(isinstance(v, list) for v in _leaves(patch)):
        assert result == apply_merge_patch(doc, patch)


def _leaves(value: Any) -> list[Any]:
    """Every value nested inside a JSON value (containers included)."""
    if isinstance(value, dict):
        return [value, *(leaf for item in value.values() for leaf in _leaves(item))]
    if isinstance(value, list):
        return [value, *(leaf for item in value for leaf in _leaves(item))]
    return [value]


@PROPERTY
@given(JSON, st.lists(st.fixed_dictionaries({
    "op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test"]),
    "path": st.sampled_from(["", "/a", "/a/0", "/a/-", "/b~1c", "/0"]),
    "from": st.sampled_from(["", "/a", "/a/0", "/b~1c"]),
    "value": JSON}), max_size=3))
def test_json_patch_never_mutates_inputs_or_shares_structure(doc: Any, ops: list) -> None:
    doc_before, ops_before = copy.deepcopy(doc), copy.deepcopy(ops)
    try:
        result = apply_json_patch(doc, ops)
    except PatchError:
        result = None
    assert doc == doc_before and ops == ops_before
    assert not containers_of(result) & (containers_of(doc) | containers_of(ops))


@PROPERTY
@given(JSON, JSON)
def test_merge_patch_never_mutates_inputs_or_shares_structure(doc: Any, patch: Any) -> None:
    doc_before, patch_before = copy.deepcopy(doc), copy.deepcopy(patch)
    result = apply_merge_patch(doc, patch)
    assert doc == doc_before and patch == patch_before
    assert not containers_of(result) & (containers_of(doc) | containers_of(patch))


@PROPERTY
@given(SMP_DOCS, SMP_PATCHES, KINDS)
def test_strategic_patch_shares_no_structure(doc: dict, patch: dict, kind: str) -> None:
    try:
        result = apply_strategic_merge_patch(doc, patch, kind)
    except PatchError:
        return
    assert not containers_of(result) & (containers_of(doc) | containers_of(patch))
