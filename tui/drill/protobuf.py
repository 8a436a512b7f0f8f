"""Just enough protobuf to read the SelfSubjectAccessReview kubectl `auth can-i` sends."""

from __future__ import annotations

from typing import Any

MAGIC = b"k8s\x00"


class ProtobufError(ValueError):
    """The body is not the protobuf message we expected."""


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ProtobufError("varint too long")


def fields(data: bytes) -> dict[int, list[bytes | int]]:
    """Decode one message level: field number → values (bytes for length-delimited)."""
    out: dict[int, list[bytes | int]] = {}
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            out.setdefault(number, []).append(value)
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise ProtobufError("truncated field")
            out.setdefault(number, []).append(data[pos:pos + length])
            pos += length
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
    return out


def _text(msg: dict[int, list[bytes | int]], number: int) -> str:
    values = msg.get(number)
    if not values or not isinstance(values[0], bytes):
        return ""
    return values[0].decode("utf-8", "replace")


def _message(msg: dict[int, list[bytes | int]], number: int) -> dict[int, list[bytes | int]]:
    values = msg.get(number)
    if not values or not isinstance(values[0], bytes):
        return {}
    return fields(values[0])


def decode_ssar(body: bytes) -> dict[str, Any]:
    """A protobuf SelfSubjectAccessReview as the JSON object the API would have received."""
    if not body.startswith(MAGIC):
        raise ProtobufError("missing k8s protobuf envelope")
    unknown = fields(body[len(MAGIC):])
    review = fields(unknown.get(2, [b""])[0] if isinstance(unknown.get(2, [b""])[0], bytes)
                    else b"")
    spec = _message(review, 2)
    result: dict[str, Any] = {"apiVersion": "authorization.k8s.io/v1",
                              "kind": "SelfSubjectAccessReview", "metadata": {}, "spec": {}}
    attrs = _message(spec, 1)
    if attrs:
        names = {1: "namespace", 2: "verb", 3: "group", 4: "version", 5: "resource",
                 6: "subresource", 7: "name"}
        result["spec"]["resourceAttributes"] = {
            key: _text(attrs, number) for number, key in names.items() if _text(attrs, number)}
    non_resource = _message(spec, 2)
    if non_resource:
        result["spec"]["nonResourceAttributes"] = {"path": _text(non_resource, 1),
                                                   "verb": _text(non_resource, 2)}
    return result


def _envelope(body: bytes) -> dict[int, list[bytes | int]]:
    """The object inside the `k8s\\0` envelope (runtime.Unknown field 2)."""
    if not body.startswith(MAGIC):
        raise ProtobufError("missing k8s protobuf envelope")
    return _message(fields(body[len(MAGIC):]), 2)


def decode_rules_review(body: bytes) -> dict[str, Any]:
    """A protobuf SelfSubjectRulesReview (spec.namespace) as its JSON object."""
    spec = _message(_envelope(body), 2)
    return {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview",
            "metadata": {}, "spec": {"namespace": _text(spec, 1)}}
