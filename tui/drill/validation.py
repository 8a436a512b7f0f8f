"""Object validation on create, update and patch, as the API server's: field types from the
described types (`apitypes`), required fields, and names (DNS-1123 / DNS-1035 per kind).

Each problem is a cause `{"reason", "message", "field"}` (the `details.causes` of a 422 Invalid
Status); the request body is also bounded in nesting before anything walks it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tui.drill.apitypes import KINDS
from tui.drill.httpserver import BadRequest
from tui.drill.openapi import DEFINITIONS

MAX_DEPTH = 100  # nesting levels a request body may have (real objects use ~15)

_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?\Z")
_QUALIFIED = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")
SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                 "characters, '-' or '.', and must start and end with an alphanumeric character "
                 "(e.g. 'example.com', regex used for validation is "
                 r"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
             "'-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
             "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
DNS1035_MSG = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
               "start with an alphabetic character, and end with an alphanumeric character "
               "(e.g. 'my-name',  or 'abc-123', regex used for validation is "
               "'[a-z]([-a-z0-9]*[a-z0-9])?')")
QUALIFIED_MSG = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must "
                 "start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  "
                 "or '123-abc', regex used for validation is "
                 "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
# How each resource's names are checked (the API server's ValidateXName functions).
_NAME_RULES = {"namespaces": "label", "services": "dns1035"}
_JSON_TYPES = {"string": "string", "int32": "integer", "int64": "integer", "bool": "boolean",
               "double": "number", "bytes": "string", "time": "string", "microtime": "string",
               "intstr": "integer or string", "quantity": "string or number"}

_SPEC_REQUIRED = ("Pod", "Deployment", "ReplicaSet")

Cause = dict[str, str]


def _shown(value: Any) -> str:
    # JSON, so a control character in a name is shown escaped, never sent raw to a terminal.
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 80 else text[:77] + "..."


def cause(reason: str, field: str, message: str) -> Cause:
    """One field error, as in `details.causes`."""
    return {"reason": reason, "message": message, "field": field}


def invalid(field: str, value: Any, detail: str) -> Cause:
    """`field: Invalid value: VALUE: detail`."""
    return cause("FieldValueInvalid", field, f"Invalid value: {_shown(value)}: {detail}")


def required(field: str) -> Cause:
    """`field: Required value`."""
    return cause("FieldValueRequired", field, "Required value")


def type_invalid(field: str, value: Any, expected: str) -> Cause:
    """`field: Invalid value: VALUE: must be of type T`."""
    return cause("FieldValueTypeInvalid", field,
                 f"Invalid value: {_shown(value)}: must be of type {expected}")


def message(kind: str, name: str, causes: list[Cause]) -> str:
    """`Pod "x" is invalid: [a: …, b: …]`, the API server's wording."""
    parts = [f"{c['field']}: {c['message']}" if c["field"] else c["message"] for c in causes]
    listed = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    return f"{kind} {_shown(name)} is invalid: {listed}"


# ---- bodies ----------------------------------------------------------------------------------

def check_depth(value: Any) -> None:
    """BadRequest when `value` nests deeper than MAX_DEPTH (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadRequest(f"the request body nests deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item if isinstance(v, (dict, list)))


def load_json(body: bytes, what: str = "the request body") -> Any:
    """Parse a JSON body; BadRequest naming the problem (bad JSON, too deep)."""
    try:
        value = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"{what} is not valid JSON: {exc}") from exc
    except RecursionError:
        raise BadRequest(f"the request body nests deeper than {MAX_DEPTH} levels") from None
    check_depth(value)
    return value


# ---- types -----------------------------------------------------------------------------------

def _fields(short: str) -> list[tuple[str, str, bool]]:
    return [(f[0].rstrip("!"), f[1], f[0].endswith("!")) for f in DEFINITIONS[short][1]]


def _leaf_ok(kind: str, value: Any) -> bool:
    if kind in ("string", "bytes", "time", "microtime"):
        return isinstance(value, str)
    if kind in ("int32", "int64"):
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "double":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "intstr":
        return isinstance(value, (int, str)) and not isinstance(value, bool)
    if kind == "quantity":
        return isinstance(value, (int, float, str)) and not isinstance(value, bool)
    return True  # any


def _walk(kind: str, value: Any, path: str, out: list[Cause], complete: bool) -> None:
    if value is None:
        return  # null is "unset" for every field, as in the API server's decoding
    if kind in _JSON_TYPES or kind == "any":
        if not _leaf_ok(kind, value):
            out.append(type_invalid(path, value, _JSON_TYPES[kind]))
        return
    if kind.startswith("[]"):
        if not isinstance(value, list):
            out.append(type_invalid(path, value, "array"))
            return
        item = kind[2:].partition("@")[0]
        for index, element in enumerate(value):
            # In a patch, a `$patch` directive item (delete, replace) names no whole element.
            if complete or not (isinstance(element, dict) and "$patch" in element):
                _walk(item, element, f"{path}[{index}]", out, complete)
        return
    if kind.startswith("{}"):
        if not isinstance(value, dict):
            out.append(type_invalid(path, value, "object"))
            return
        for key, element in value.items():
            _walk(kind[2:], element, f"{path}[{key}]", out, complete)
        return
    if not isinstance(value, dict):
        out.append(type_invalid(path, value, "object"))
        return
    for name, sub, needed in _fields(kind):
        where = f"{path}.{name}" if path else name
        if name in value:
            # Status is the server's: a client's is type-checked, its required fields are not.
            _walk(sub, value[name], where, out, complete and where != "status")
            if needed and complete and value[name] in ([], None, ""):
                out.append(required(where))
        elif needed and complete:
            out.append(required(where))


def type_causes(kind: str, obj: Any, *, complete: bool = True) -> list[Cause]:
    """Fields of `obj` (a `kind`) whose JSON type is wrong, and (if `complete`) missing ones.

    A patch is checked with `complete=False`: it names only what it changes.
    """
    short = KINDS.get(kind)
    if short is None:
        return []
    out: list[Cause] = []
    _walk(short, obj, "", out, complete)
    return out


# ---- names -----------------------------------------------------------------------------------

def name_problem(value: str, rule: str = "subdomain") -> str:
    """Why `value` is not a valid name under `rule` (subdomain, label, dns1035), or ""."""
    limit, pattern, text = {"subdomain": (253, _SUBDOMAIN, SUBDOMAIN_MSG),
                            "label": (63, _LABEL, LABEL_MSG),
                            "dns1035": (63, _DNS1035, DNS1035_MSG)}[rule]
    if len(value) > limit:
        return f"must be no more than {limit} characters"
    return "" if pattern.match(value) else text


def _label_key_problem(key: str) -> str:
    prefix, _, name = key.rpartition("/")
    if prefix and name_problem(prefix):
        return "prefix part " + name_problem(prefix)
    if not name or len(name) > 63 or not _QUALIFIED.match(name):
        return QUALIFIED_MSG if len(name) <= 63 else "name part must be no more than 63 characters"
    return ""


def _meta_causes(resource: str, meta: dict[str, Any]) -> list[Cause]:
    out: list[Cause] = []
    rule = _NAME_RULES.get(resource, "subdomain")
    name = meta.get("name")
    if isinstance(name, str) and name:
        problem = name_problem(name, rule)
        if problem:
            out.append(invalid("metadata.name", name, problem))
    elif not meta.get("generateName"):
        out.append(cause("FieldValueRequired", "metadata.name",
                         "Required value: name or generateName is required"))
    prefix = meta.get("generateName")
    if isinstance(prefix, str) and prefix and not name:
        # As the API server: a prefix may end with '-' (a suffix follows it).
        problem = name_problem(prefix[:-1] + "a" if prefix.endswith("-") else prefix, rule)
        if problem:
            out.append(invalid("metadata.generateName", prefix, problem))
    for key, value in (meta.get("labels") or {}).items():
        where = "metadata.labels"
        problem = _label_key_problem(key)
        if problem:
            out.append(invalid(where, key, problem))
        elif isinstance(value, str) and value and (len(value) > 63 or not _QUALIFIED.match(value)):
            detail = ("must be no more than 63 characters" if len(value) > 63 else
                      "a valid label must be an empty string or consist of alphanumeric "
                      "characters, '-', '_' or '.', and must start and end with an alphanumeric "
                      "character")
            out.append(invalid(where, value, detail))
    for key in meta.get("annotations") or {}:
        problem = _label_key_problem(key)
        if problem:
            out.append(invalid("metadata.annotations", key, problem))
    return out


def _container_causes(spec: Any, path: str) -> list[Cause]:
    out: list[Cause] = []
    if not isinstance(spec, dict):
        return out
    for field in ("containers", "initContainers"):
        seen: set[str] = set()
        for index, container in enumerate(spec.get(field) or []):
            name = container.get("name") if isinstance(container, dict) else None
            if not isinstance(name, str) or not name:
                continue
            where = f"{path}.{field}[{index}].name"
            if name in seen:
                out.append(cause("FieldValueDuplicate", where,
                                 f"Duplicate value: {_shown(name)}"))
            elif name_problem(name, "label"):
                out.append(invalid(where, name, name_problem(name, "label")))
            seen.add(name)
    return out


def object_causes(resource: str, kind: str, obj: dict[str, Any]) -> list[Cause]:
    """Everything wrong with `obj` as a stored `kind` (types first: names need strings)."""
    # These kinds cannot be stored without a spec: a missing one names its required fields.
    whole = {**obj, "spec": {}} if kind in _SPEC_REQUIRED and obj.get("spec") is None else obj
    out = type_causes(kind, whole)
    if out:
        return out
    meta = obj.get("metadata") or {}
    out = _meta_causes(resource, meta)
    spec = obj.get("spec")
    if kind == "Pod":
        out += _container_causes(spec, "spec")
    elif kind in ("Deployment", "ReplicaSet") and isinstance(spec, dict):
        out += _container_causes((spec.get("template") or {}).get("spec"),
                                 "spec.template.spec")
    return out


def review_causes(spec: Any, attrs: Any) -> list[Cause]:
    """What is wrong with a SelfSubjectAccessReview's spec (an object of string attributes)."""
    if spec is None:
        return [required("spec")]
    if not isinstance(spec, dict):
        return [type_invalid("spec", spec, "object")]
    if attrs is None:
        return []
    if not isinstance(attrs, dict):
        return [type_invalid("spec.resourceAttributes", attrs, "object")]
    return [type_invalid(f"spec.resourceAttributes.{key}", value, "string")
            for key, value in attrs.items() if value is not None and not isinstance(value, str)]
