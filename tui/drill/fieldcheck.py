"""Server-side field validation (`?fieldValidation=Strict|Warn|Ignore`) and the field sets of
server-side apply, both read from the same description as the OpenAPI documents (`apitypes`).
"""

from __future__ import annotations

import json
from typing import Any

from tui.drill.apitypes import KINDS
from tui.drill.openapi import DEFINITIONS

_LEAVES = {"string", "int32", "int64", "bool", "double", "bytes", "any", "time", "microtime",
           "intstr", "quantity"}


def _fields(short: str) -> dict[str, str]:
    return {f[0].rstrip("!"): f[1] for f in DEFINITIONS[short][1]}


def _walk(kind: str, value: Any, path: str, out: list[str]) -> None:
    if kind in _LEAVES:
        return
    if kind.startswith("[]"):
        if isinstance(value, list):
            item = kind[2:].partition("@")[0]
            for index, element in enumerate(value):
                _walk(item, element, f"{path}[{index}]", out)
        return
    if kind.startswith("{}"):
        if isinstance(value, dict):
            for key, element in value.items():
                _walk(kind[2:], element, f"{path}.{key}", out)
        return
    if not isinstance(value, dict):
        return
    fields = _fields(kind)
    for key, element in value.items():
        if key.startswith("$"):
            continue  # strategic merge patch directives ($patch, $setElementOrder/…)
        where = f"{path}.{key}" if path else key
        if key not in fields:
            out.append(where)
        else:
            _walk(fields[key], element, where, out)


def unknown_fields(kind: str, obj: Any) -> list[str]:
    """Paths (`spec.template.spec.containers[0].imagePullPolicyy`) no described type has."""
    short = KINDS.get(kind)
    if short is None:
        return []
    out: list[str] = []
    _walk(short, obj, "", out)
    return out


def strict_message(kind: str, version: str, unknown: list[str]) -> str:
    """The API server's answer to an object with unknown fields under Strict validation."""
    listed = ", ".join(f'unknown field "{path}"' for path in unknown)
    return (f'{kind} in version "{version}" cannot be handled as a {kind}: strict decoding '
            f"error: {listed}")


def warning_header(unknown: list[str]) -> str:
    """The `Warning` header of Warn validation (one warning per field, comma-separated)."""
    return ", ".join(f'299 - {json.dumps(f"unknown field {json.dumps(p)}")}' for p in unknown)


# ---- server-side apply: the field set an applied configuration owns ---------------------------

def _item_key(kind: str, element: Any) -> str:
    key = kind.partition("@")[2]
    if key and isinstance(element, dict) and key in element:
        return "k:" + json.dumps({key: element[key]}, separators=(",", ":"))
    return "v:" + json.dumps(element, separators=(",", ":"))


def _field_set(kind: str, value: Any) -> dict[str, Any]:
    if kind.startswith("[]") and "@" in kind and isinstance(value, list):
        item = kind[2:].partition("@")[0]
        return {_item_key(kind, e): {".": {}, **_field_set(item, e)} for e in value}
    if kind.startswith("{}") and isinstance(value, dict):
        return {f"f:{k}": _field_set(kind[2:], v) for k, v in value.items()}
    if kind in _LEAVES or kind.startswith("[]") or not isinstance(value, dict):
        return {}  # a scalar, a free-form object or an atomic list: owned whole
    fields = _fields(kind)
    return {f"f:{k}": _field_set(fields.get(k, "any"), v) for k, v in value.items()
            if k not in ("apiVersion", "kind", "status")}


def applied_fields(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    """The `fieldsV1` set of an applied configuration (managedFields of operation Apply)."""
    short = KINDS.get(kind)
    if short is None:
        return {}
    owned = _field_set(short, obj)
    meta = owned.get("f:metadata", {})
    for key in ("f:name", "f:namespace", "f:resourceVersion", "f:uid"):
        meta.pop(key, None)
    if not meta:
        owned.pop("f:metadata", None)
    return owned


def prune(obj: Any, before: dict[str, Any], now: dict[str, Any]) -> Any:
    """`obj` without the fields the manager owned `before` and no longer applies `now`."""
    if not isinstance(obj, dict):
        return obj
    out = dict(obj)
    for key, sub in before.items():
        if not key.startswith("f:"):
            continue
        name = key[2:]
        if name not in out:
            continue
        if key not in now:
            del out[name]
        elif sub and isinstance(out[name], dict):
            out[name] = prune(out[name], sub, now[key])
    return out
