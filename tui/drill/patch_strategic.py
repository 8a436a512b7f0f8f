"""Kubernetes strategic merge patch for the kinds the drill cluster serves.

Import the public names from `tui.drill.patch`. The merge keys come from the Go struct tags
(`patchStrategy`, `patchMergeKey`) of k8s.io/api, reduced to the fields the drill's kinds use.
Where apimachinery is quirky on inputs kubectl never sends, this is plainer: `$patch: delete` on
a nested map removes the key (not `{}`), `$deleteFromPrimitiveList` also works on replaced lists,
`$patch: merge` is accepted in lists, merged lists keep existing items in place and append new
ones, and `$setElementOrder` puts unmentioned items last.
"""

from __future__ import annotations

from typing import Any

from tui.drill.patch_json import PatchError, json_copy, json_equal

__all__ = ["apply_strategic_merge_patch"]

# Merge key of a list of scalars merged as a set (ObjectMeta.finalizers has patchStrategy=merge).
_SET = "<set>"
# A field's patch metadata: (merge key of its list items or None to replace the list,
# schema name of the field's value or of its list items, or None for "no special fields").
_Meta = tuple[str | None, str | None]
_PLAIN: _Meta = (None, None)

_OBJECT: dict[str, _Meta] = {"metadata": (None, "ObjectMeta"), "status": (None, "Status")}
_SCHEMAS: dict[str, dict[str, _Meta]] = {
    "ObjectMeta": {"ownerReferences": ("uid", None), "finalizers": (_SET, None)},
    "Status": {"conditions": ("type", None)},
    "PodTemplateSpec": {"metadata": (None, "ObjectMeta"), "spec": (None, "PodSpec")},
    "WorkloadSpec": {"template": (None, "PodTemplateSpec")},
    "PodSpec": {
        "containers": ("name", "Container"),
        "initContainers": ("name", "Container"),
        "ephemeralContainers": ("name", "Container"),
        "volumes": ("name", None),
        "imagePullSecrets": ("name", None),
        "hostAliases": ("ip", None),
        "topologySpreadConstraints": ("topologyKey", None),
    },
    "Container": {
        "env": ("name", None),
        "ports": ("containerPort", None),
        "volumeMounts": ("mountPath", None),
        "volumeDevices": ("devicePath", None),
    },
    "PodStatus": {"conditions": ("type", None), "podIPs": ("ip", None), "hostIPs": ("ip", None)},
    "ServiceSpec": {"ports": ("port", None)},
    # The kinds: Deployment and ReplicaSet share the template path spec.template.spec.
    "Object": _OBJECT,
    "Deployment": {**_OBJECT, "spec": (None, "WorkloadSpec")},
    "ReplicaSet": {**_OBJECT, "spec": (None, "WorkloadSpec")},
    "Pod": {**_OBJECT, "spec": (None, "PodSpec"), "status": (None, "PodStatus")},
    "Service": {**_OBJECT, "spec": (None, "ServiceSpec")},
    "ConfigMap": _OBJECT,
    "Namespace": _OBJECT,
    "Event": _OBJECT,
}
# The kinds whose merge keys are known; any other kind merges with ObjectMeta's keys only.
KINDS = ("Deployment", "ReplicaSet", "Pod", "Service", "ConfigMap", "Namespace", "Event")

_PATCH = "$patch"
_RETAIN = "$retainKeys"
_ORDER = "$setElementOrder"
_DELETE_FROM = "$deleteFromPrimitiveList"
_DIRECTIVES = ("replace", "delete", "merge")


class _Absent:
    """The marker for "this key is gone" (null value or `$patch: delete`)."""


_ABSENT = _Absent()


def apply_strategic_merge_patch(doc: Any, patch: Any, kind: str) -> Any:
    """Apply a Kubernetes strategic merge patch to an object of `kind`; return the patched copy."""
    if not isinstance(doc, dict):
        raise PatchError("strategic merge patch needs a JSON object to patch", 400)
    if not isinstance(patch, dict):
        raise PatchError("strategic merge patch must be a JSON object", 400)
    # Unknown kinds (e.g. a Scale subresource) get only the ObjectMeta/status merge keys.
    schema = kind if kind in KINDS else "Object"
    result = _merge_map(json_copy(doc), json_copy(patch), schema, kind)
    # `$patch: delete` at the top cannot delete the object; as apimachinery does, leave it empty.
    return {} if result is _ABSENT else result


def _merge_map(original: dict, patch: dict, schema: str | None, path: str) -> Any:
    """Merge patch map `patch` into `original` (both owned copies); _ABSENT means delete."""
    if _PATCH in patch:
        directive = patch.pop(_PATCH)
        if directive == "delete":
            return _ABSENT
        if directive == "replace":
            original = {}  # then merge into nothing, which also strips nested directives
        elif directive != "merge":
            raise _bad_directive(directive, path)
    if _RETAIN in patch:
        original = _retain_keys(original, patch, path)
    orders: dict[str, list] = {}
    deletions: dict[str, list] = {}
    for key in [key for key in patch if key.startswith("$")]:
        prefix, _, field = key.partition("/")
        value = patch.pop(key)
        if prefix not in (_ORDER, _DELETE_FROM) or not field:
            raise PatchError(f"unknown strategic merge patch directive {key!r} at {path}", 400)
        if not isinstance(value, list):
            raise PatchError(f"{key} at {path} must be a list, not {type(value).__name__}", 400)
        (orders if prefix == _ORDER else deletions)[field] = value
    fields = _SCHEMAS.get(schema, {}) if schema else {}
    for key, value in patch.items():
        merged = _merge_value(original.get(key, _ABSENT), value, fields.get(key, _PLAIN),
                              f"{path}.{key}")
        if merged is _ABSENT:
            original.pop(key, None)
        else:
            original[key] = merged
    for field, unwanted in deletions.items():
        if isinstance(original.get(field), list):
            original[field] = [item for item in original[field]
                               if not any(json_equal(item, gone) for gone in unwanted)]
    for field, order in orders.items():
        if isinstance(original.get(field), list):
            key = fields.get(field, _PLAIN)[0]
            original[field] = _reorder(original[field], order, key, f"{path}.{field}")
    return original


def _bad_directive(directive: Any, path: str) -> PatchError:
    """The error for a `$patch` value other than replace, delete or merge."""
    return PatchError(f"unknown $patch directive {directive!r} at {path} "
                      f"(expected one of {', '.join(_DIRECTIVES)})", 400)


def _retain_keys(original: dict, patch: dict, path: str) -> dict:
    """Apply `$retainKeys`: drop the original's keys the list does not name."""
    keep = patch.pop(_RETAIN)
    if not isinstance(keep, list) or not all(isinstance(key, str) for key in keep):
        raise PatchError(f"$retainKeys at {path} must be a list of field names", 400)
    # Like the apiserver: a patch that sets a field its own $retainKeys drops is contradictory.
    stray = sorted(key for key, value in patch.items()
                   if value is not None and not key.startswith("$") and key not in keep)
    if stray:
        raise PatchError(f"$retainKeys at {path} does not list patched field(s) "
                         f"{', '.join(stray)}", 422)
    return {key: value for key, value in original.items() if key in keep}


def _merge_value(original: Any, value: Any, meta: _Meta, path: str) -> Any:
    """The merge of one patch value into the original value of the same key."""
    if value is None:
        return _ABSENT
    key, schema = meta
    if isinstance(value, dict):
        return _merge_map(original if isinstance(original, dict) else {}, value, schema, path)
    if isinstance(value, list):
        base = original if isinstance(original, list) else []
        if key is None:
            return _replace_list(value, schema, path)
        if key == _SET:
            return _merge_set(base, value, path)
        return _merge_keyed(base, value, key, schema, path)
    return value


def _split_directives(items: list, path: str) -> tuple[list, list[dict], bool]:
    """Split list items into data items, `$patch: delete` items and whether to replace."""
    data: list = []
    deletes: list[dict] = []
    replace = False
    for item in items:
        if not (isinstance(item, dict) and _PATCH in item):
            data.append(item)
        elif item[_PATCH] == "delete":
            deletes.append(item)
        elif item[_PATCH] == "replace":
            replace = True
        elif item[_PATCH] != "merge":
            raise _bad_directive(item[_PATCH], path)
    return data, deletes, replace


def _clean(item: Any, schema: str | None, path: str) -> Any:
    """A list item with any directives inside it applied to nothing (i.e. stripped)."""
    if isinstance(item, dict):
        return _merge_map({}, item, schema, path)
    if isinstance(item, list):
        return _replace_list(item, None, path)
    return item


def _replace_list(items: list, schema: str | None, path: str) -> list:
    """A list without a merge key: the patch's list replaces the original (atomic)."""
    data, _, _ = _split_directives(items, path)
    return [_clean(item, schema, f"{path}[{number}]") for number, item in enumerate(data)]


def _merge_set(original: list, items: list, path: str) -> list:
    """A list of scalars with patchStrategy=merge: union, original order first, no duplicates."""
    data, _, replace = _split_directives(items, path)
    merged: list = []
    for item in ([] if replace else original) + data:
        if not any(json_equal(item, seen) for seen in merged):
            merged.append(item)
    return merged


def _merge_keyed(original: list, items: list, key: str, schema: str | None, path: str) -> list:
    """A list of maps merged by `key`: matching items merge, new ones append, deletes remove."""
    data, deletes, replace = _split_directives(items, path)
    merged = [] if replace else list(original)
    for item in deletes:
        if key not in item:
            raise PatchError(f"$patch: delete item in {path} has no merge key {key!r}", 400)
        merged = [old for old in merged
                  if not (isinstance(old, dict) and key in old and json_equal(old[key], item[key]))]
    for item in data:
        if not isinstance(item, dict) or key not in item:
            raise PatchError(f"items of {path} must be objects with the merge key {key!r}", 400)
        where = f"{path}[{key}={item[key]}]"
        for index, old in enumerate(merged):
            if isinstance(old, dict) and key in old and json_equal(old[key], item[key]):
                merged[index] = _merge_map(old, item, schema, where)
                break
        else:
            merged.append(_merge_map({}, item, schema, where))
    return merged


def _reorder(items: list, order: list, key: str | None, path: str) -> list:
    """Apply `$setElementOrder`: named items in the given order, then the rest as they were."""
    keyed = key is not None and key != _SET

    def identity(item: Any) -> Any:
        return item.get(key) if keyed and isinstance(item, dict) else item

    if keyed and not all(isinstance(entry, dict) and key in entry for entry in order):
        raise PatchError(f"$setElementOrder/{path.rsplit('.', 1)[-1]} at {path} "
                         f"must list objects with the merge key {key!r}", 400)
    wanted = [identity(entry) for entry in order]
    ranked: list[tuple[int, int, Any]] = []
    rest: list = []
    for position, item in enumerate(items):
        rank = next((n for n, want in enumerate(wanted) if json_equal(want, identity(item))), None)
        if rank is None:
            rest.append(item)
        else:
            ranked.append((rank, position, item))
    ranked.sort(key=lambda entry: entry[:2])
    return [item for _, _, item in ranked] + rest
