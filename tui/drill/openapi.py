"""OpenAPI v2 and v3 documents and strict field validation, all from `apitypes`' description.

v3: `/openapi/v3` is an index of group versions; each `/openapi/v3/apis/G/V` holds the paths of
that group version (PATCH declares the strategic-merge content type and the `fieldValidation`
parameter, which is how kubectl decides to leave validation to the server) and the schemas they
reach. v2: `/openapi/v2` holds everything in one Swagger 2.0 document.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

from tui.drill.apitypes import ENUMS, KINDS, META, PREFIXES, Definition, list_definitions
from tui.drill.apitypes_network import NETWORK
from tui.drill.apitypes_pods import PODS
from tui.drill.apitypes_workloads import WORKLOADS
from tui.drill.resources import RESOURCES, Resource

DEFINITIONS: dict[str, Definition] = {**META, **WORKLOADS, **PODS, **NETWORK,
                                      **list_definitions()}
TIME = "io.k8s.apimachinery.pkg.apis.meta.v1.Time"
MICRO_TIME = "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
PATCH = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch"
_SCALARS: dict[str, dict[str, Any]] = {
    TIME: {"type": "string", "format": "date-time",
           "description": "Time is a wrapper around time.Time which supports correct marshaling "
                          "to YAML and JSON."},
    MICRO_TIME: {"type": "string", "format": "date-time",
                 "description": "MicroTime is version of Time with microsecond level "
                                "precision."},
    INT_OR_STRING: {"type": "string", "format": "int-or-string",
                    "description": "IntOrString is a type that can hold an int32 or a string."},
    QUANTITY: {"type": "string", "description": "Quantity is a fixed-point representation of "
                                                "a number (e.g. 100m, 128Mi)."},
    PATCH: {"type": "object", "description": "Patch is provided to give a concrete name and "
                                             "type to the Kubernetes PATCH request body."},
}
# v3 says what an IntOrString or a Quantity may be (explain then prints the type's name).
_V3_ONE_OF = {INT_OR_STRING: [{"type": "integer"}, {"type": "string"}],
              QUANTITY: [{"type": "string"}, {"type": "number"}]}
_PRIMITIVES = {"string": {"type": "string"}, "int32": {"type": "integer", "format": "int32"},
               "int64": {"type": "integer", "format": "int64"}, "bool": {"type": "boolean"},
               "double": {"type": "number", "format": "double"},
               "bytes": {"type": "string", "format": "byte"}}
_NAMED = {"time": TIME, "microtime": MICRO_TIME, "intstr": INT_OR_STRING,
          "quantity": QUANTITY}
PATCH_TYPES = ("application/apply-patch+yaml", "application/json-patch+json",
               "application/merge-patch+json", "application/strategic-merge-patch+json")


def full_name(short: str) -> str:
    """`apps.Deployment` → `io.k8s.api.apps.v1.Deployment`."""
    group, _, name = short.partition(".")
    return f"{PREFIXES[group]}.{name}"


def _ref(name: str, v3: bool) -> str:
    return ("#/components/schemas/" if v3 else "#/definitions/") + name


def _type_schema(kind: str, v3: bool, refs: set[str]) -> dict[str, Any]:
    """The schema of a type expression (without description)."""
    if kind.startswith("[]"):
        item, _, key = kind[2:].partition("@")
        schema: dict[str, Any] = {"type": "array", "items": _type_schema(item, v3, refs)}
        if "@" in kind[2:]:
            schema["x-kubernetes-patch-strategy"] = "merge"
            if key:
                schema.update({"x-kubernetes-patch-merge-key": key,
                               "x-kubernetes-list-type": "map",
                               "x-kubernetes-list-map-keys": [key]})
            else:
                schema["x-kubernetes-list-type"] = "set"
        else:
            schema["x-kubernetes-list-type"] = "atomic"
        return schema
    if kind.startswith("{}"):
        return {"type": "object", "additionalProperties": _type_schema(kind[2:], v3, refs)}
    if kind in _PRIMITIVES:
        return dict(_PRIMITIVES[kind])
    if kind == "any":
        return {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    name = _NAMED.get(kind) or full_name(kind)
    refs.add(name)
    if v3:
        return {"allOf": [{"$ref": _ref(name, v3)}], "default": {}}
    return {"$ref": _ref(name, v3)}


def _gvk(kind: str) -> list[dict[str, str]]:
    for res in RESOURCES.values():
        if res.kind == kind:
            return [{"group": res.group, "version": res.version, "kind": kind}]
    if kind == "Scale":
        return [{"group": "autoscaling", "version": "v1", "kind": "Scale"}]
    return []


def _definition(short: str, v3: bool, refs: set[str]) -> dict[str, Any]:
    description, fields = DEFINITIONS[short]
    properties: dict[str, Any] = {}
    required = []
    for field in fields:
        name, kind, text = field[0], field[1], field[2]
        if name.endswith("!"):
            name = name[:-1]
            required.append(name)
        schema = _type_schema(kind, v3, refs)
        if "$ref" in schema and not v3:
            schema = {"$ref": schema["$ref"], "description": text}
        else:
            schema["description"] = text
        if len(field) > 3:
            schema["x-kubernetes-patch-strategy"] = field[3]
        if f"{short}.{name}" in ENUMS:
            schema["enum"] = list(ENUMS[f"{short}.{name}"])
        properties[name] = schema
    out: dict[str, Any] = {"description": description, "type": "object",
                           "properties": properties}
    if required:
        out["required"] = sorted(required)
    kind = short.partition(".")[2]
    base = kind.removesuffix("List")
    gvk = _gvk(base) if base in KINDS else []
    if gvk and kind != base:
        gvk = [{**gvk[0], "kind": kind}]
    if gvk:
        out["x-kubernetes-group-version-kind"] = gvk
    return out


def _short(name: str) -> str | None:
    for group, prefix in PREFIXES.items():
        if name.startswith(prefix + "."):
            return f"{group}.{name[len(prefix) + 1:]}"
    return None


def schemas(roots: list[str], v3: bool) -> dict[str, Any]:
    """The definitions of `roots` (full names) and of everything they reach."""
    found: dict[str, Any] = {}
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        if name in _SCALARS:
            found[name] = dict(_SCALARS[name])
            if v3 and name in _V3_ONE_OF:
                del found[name]["type"]
                found[name]["oneOf"] = _V3_ONE_OF[name]
            continue
        refs: set[str] = set()
        short = _short(name)
        if short is None or short not in DEFINITIONS:
            continue
        found[name] = _definition(short, v3, refs)
        todo.extend(sorted(refs))
    return dict(sorted(found.items()))


# ---- paths ------------------------------------------------------------------------------------

def _param(name: str, kind: str, text: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": text, "schema": {"type": kind},
            "uniqueItems": True}


_WRITE_PARAMS = [
    _param("dryRun", "string", "When present, indicates that modifications should not be "
                               "persisted. Valid values are: - All: all dry run stages will be "
                               "processed"),
    _param("fieldManager", "string", "fieldManager is a name associated with the actor or "
                                     "entity that is making these changes."),
    _param("fieldValidation", "string", "fieldValidation instructs the server on how to handle "
                                        "objects in the request containing unknown or "
                                        "duplicate fields: Ignore, Warn or Strict."),
]
_FORCE = _param("force", "boolean", "Force is going to \"force\" Apply requests. It means user "
                                    "will re-acquire conflicting fields owned by other people.")


def _operation(action: str, op_id: str, kind: str, group: str, version: str, body: str,
               v3: bool, refs: set[str]) -> dict[str, Any]:
    name = full_name(body) if body != "Patch" else PATCH
    refs.add(name)
    op: dict[str, Any] = {
        "operationId": op_id, "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": group, "version": version, "kind": kind},
        "responses": {"200": {"description": "OK"}},
    }
    params = [*_WRITE_PARAMS] if action in ("post", "put", "patch") else []
    if action == "patch":
        params.append(_FORCE)
    target = _ref(full_name(body if body != "Patch" else KINDS[kind]), v3)
    refs.add(full_name(KINDS[kind]))
    if v3:
        op["parameters"] = params
        op["responses"]["200"]["content"] = {"application/json": {"schema": {"$ref": target}}}
        if action in ("post", "put", "patch"):
            types = PATCH_TYPES if action == "patch" else ("*/*",)
            op["requestBody"] = {"content": {t: {"schema": {"$ref": _ref(name, v3)}}
                                             for t in types}, "required": True}
    else:
        op["parameters"] = [{k: v for k, v in p.items() if k != "schema"} | {
            "type": p["schema"]["type"]} for p in params]
        op["responses"]["200"]["schema"] = {"$ref": target}
        if action in ("post", "put", "patch"):
            op["parameters"].append({"name": "body", "in": "body", "required": True,
                                     "schema": {"$ref": _ref(name, v3)}})
            if action == "patch":
                op["consumes"] = list(PATCH_TYPES)
    return op


def _resource_paths(res: Resource, v3: bool, refs: set[str]) -> dict[str, Any]:
    kind = res.kind
    body = KINDS[kind]
    base = f"/apis/{res.group}/{res.version}" if res.group else f"/api/{res.version}"
    scope = f"{base}/namespaces/{{namespace}}/{res.name}" if res.namespaced else \
        f"{base}/{res.name}"
    op_name = kind + ("Namespaced" if res.namespaced else "")
    gv = (res.group, res.version)
    paths: dict[str, Any] = {
        scope: {"get": _operation("list", f"list{op_name}", kind, *gv, body, v3, refs),
                "post": _operation("post", f"create{op_name}", kind, *gv, body, v3, refs)},
        f"{scope}/{{name}}": {
            "get": _operation("get", f"read{op_name}", kind, *gv, body, v3, refs),
            "put": _operation("put", f"replace{op_name}", kind, *gv, body, v3, refs),
            "patch": _operation("patch", f"patch{op_name}", kind, *gv, "Patch", v3, refs),
            "delete": _operation("delete", f"delete{op_name}", kind, *gv, body, v3, refs)},
    }
    for sub in res.subresources:
        if sub == "log":
            continue
        sub_kind, sub_gv = (("Scale", ("autoscaling", "v1")) if sub == "scale" else (kind, gv))
        sub_body = KINDS[sub_kind]
        label = f"{op_name}{sub.capitalize()}"
        paths[f"{scope}/{{name}}/{sub}"] = {
            "get": _operation("get", f"read{label}", sub_kind, *sub_gv, sub_body, v3, refs),
            "put": _operation("put", f"replace{label}", sub_kind, *sub_gv, sub_body, v3, refs),
            "patch": _operation("patch", f"patch{label}", sub_kind, *sub_gv, "Patch", v3, refs)}
    return paths


def _served() -> list[Resource]:
    return [r for r in RESOURCES.values() if r.kind in KINDS]


def group_version_path(res: Resource) -> str:
    """`api/v1` or `apis/apps/v1`: the key of a group version in the v3 index."""
    return f"apis/{res.group}/{res.version}" if res.group else f"api/{res.version}"


def _info() -> dict[str, str]:
    return {"title": "Kubernetes", "version": "v1.32.0"}


@functools.cache
def v3_document(gv_path: str) -> bytes | None:
    """The v3 document of one group version (`api/v1`, `apis/apps/v1`), or None."""
    served = [r for r in _served() if group_version_path(r) == gv_path]
    if not served:
        return None
    refs: set[str] = set()
    paths: dict[str, Any] = {}
    for res in served:
        paths.update(_resource_paths(res, True, refs))
    doc = {"openapi": "3.0.0", "info": _info(), "paths": paths,
           "components": {"schemas": schemas(sorted(refs), True)}}
    return json.dumps(doc, sort_keys=True).encode()


@functools.cache
def v3_index() -> bytes:
    """`/openapi/v3`: each group version and the URL (with its content hash) to fetch."""
    paths = {}
    for gv_path in sorted({group_version_path(r) for r in _served()}):
        body = v3_document(gv_path) or b""
        digest = hashlib.sha512(body).hexdigest()[:128].upper()
        paths[gv_path] = {"serverRelativeURL": f"/openapi/v3/{gv_path}?hash={digest}"}
    return json.dumps({"paths": paths}).encode()


@functools.cache
def v2_document() -> dict[str, Any]:
    """`/openapi/v2`: one Swagger 2.0 document for every served type."""
    refs: set[str] = set()
    paths: dict[str, Any] = {}
    for res in _served():
        paths.update(_resource_paths(res, False, refs))
    everything = sorted(refs | {full_name(short) for short in DEFINITIONS})
    return {"swagger": "2.0", "info": _info(), "paths": paths,
            "definitions": schemas(everything, False)}
