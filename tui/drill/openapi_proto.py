"""The OpenAPI v2 document in protobuf (gnostic `openapi.v2.Document`), as kubectl asks for it.

client-go fetches `/openapi/v2` only as `application/com.github.proto-openapi.spec.v2@v1.0+
protobuf`; this encodes the same Swagger 2.0 document `openapi.v2_document()` serves as JSON.
Field numbers are those of gnostic's OpenAPIv2.proto; vendor extensions travel as YAML text
(JSON is YAML), which is how kube-openapi reads them back.
"""

from __future__ import annotations

import json
from typing import Any


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _bytes(number: int, data: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _text(number: int, value: str) -> bytes:
    return _bytes(number, value.encode()) if value else b""


def _bool(number: int, value: bool) -> bytes:
    return _varint(number << 3) + b"\x01" if value else b""


def _named(number: int, name: str, value: bytes) -> bytes:
    """A `Named…` entry: name = 1, value = 2."""
    return _bytes(number, _text(1, name) + _bytes(2, value))


def _extensions(number: int, obj: dict[str, Any]) -> bytes:
    # NamedAny{name, value: Any{yaml = 2}}
    return b"".join(_named(number, k, _text(2, json.dumps(v))) for k, v in sorted(obj.items())
                    if k.startswith("x-"))


def schema(obj: dict[str, Any]) -> bytes:
    """A `Schema` message."""
    out = [_text(1, obj.get("$ref", "")), _text(2, obj.get("format", "")),
           _text(4, obj.get("description", ""))]
    out += [_text(19, name) for name in obj.get("required", [])]
    out += [_bytes(20, _text(2, json.dumps(value))) for value in obj.get("enum", [])]  # Any.yaml
    extra = obj.get("additionalProperties")
    if isinstance(extra, dict):
        out.append(_bytes(21, _bytes(1, schema(extra))))
    if obj.get("type"):
        out.append(_bytes(22, _text(1, obj["type"])))
    if isinstance(obj.get("items"), dict):
        out.append(_bytes(23, _bytes(1, schema(obj["items"]))))
    out += [_bytes(24, schema(part)) for part in obj.get("allOf", [])]
    if obj.get("properties"):
        out.append(_bytes(25, b"".join(_named(1, name, schema(value))
                                       for name, value in obj["properties"].items())))
    out.append(_extensions(31, obj))
    return b"".join(out)


def _parameter(param: dict[str, Any]) -> bytes:
    if param.get("in") == "body":
        body = (_text(1, param.get("description", "")) + _text(2, param["name"]) +
                _text(3, "body") + _bool(4, param.get("required", False)) +
                _bytes(5, schema(param["schema"])))
        return _bytes(1, _bytes(1, body))  # ParametersItem.parameter → Parameter.body_parameter
    query = (_bool(1, param.get("required", False)) + _text(2, param["in"]) +
             _text(3, param.get("description", "")) + _text(4, param["name"]) +
             _text(6, param.get("type", "")) + _bool(20, param.get("uniqueItems", False)))
    # ParametersItem.parameter → Parameter.non_body_parameter → query_parameter_sub_schema
    return _bytes(1, _bytes(2, _bytes(3, query)))


def _operation(op: dict[str, Any]) -> bytes:
    out = [_text(5, op.get("operationId", ""))]
    out += [_text(7, kind) for kind in op.get("consumes", [])]
    out += [_bytes(8, _parameter(p)) for p in op.get("parameters", [])]
    codes = b""
    for code, response in op.get("responses", {}).items():
        body = _text(1, response.get("description", ""))
        if "schema" in response:
            body += _bytes(2, _bytes(1, schema(response["schema"])))
        codes += _named(1, code, _bytes(1, body))  # ResponseValue.response
    out.append(_bytes(9, codes))
    out.append(_extensions(13, op))
    return b"".join(out)


_METHODS = {"get": 2, "put": 3, "post": 4, "delete": 5, "patch": 8}


def document(doc: dict[str, Any]) -> bytes:
    """The whole `Document` message of a Swagger 2.0 document."""
    info = doc.get("info", {})
    paths = b""
    for path, item in doc.get("paths", {}).items():
        encoded = b"".join(_bytes(_METHODS[m], _operation(op)) for m, op in item.items()
                           if m in _METHODS)
        paths += _named(2, path, encoded)
    definitions = b"".join(_named(1, name, schema(value))
                           for name, value in doc.get("definitions", {}).items())
    return (_text(1, doc.get("swagger", "2.0")) +
            _bytes(2, _text(1, info.get("title", "")) + _text(2, info.get("version", ""))) +
            _bytes(8, paths) + _bytes(9, definitions))
