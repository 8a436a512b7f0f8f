"""Objects kubectl's generators post as protobuf: `create secret|configmap|namespace|deployment`,
`create service`, `expose`.

kubectl's typed clients send `application/vnd.kubernetes.protobuf`. This reads the messages those
commands build (field numbers of k8s.io/api's generated.proto) into the JSON objects the API
would have received. Go writes every non-pointer field, so empty strings and zeros mean "unset";
a field this table does not know is refused by name, never dropped silently.
"""

from __future__ import annotations

import base64
from typing import Any

from tui.drill.protobuf import MAGIC, ProtobufError, fields

# message -> field number -> (JSON name, type). Types: str, int, int! (a pointer: zero is kept),
# bool, bytes (base64 in JSON), map (string → string), bmap (string → bytes), qmap (string →
# Quantity), []str, intstr, time, skip (read-only status), or a message name ([]Name: repeated).
_MESSAGES: dict[str, dict[int, tuple[str, str]]] = {
    "ObjectMeta": {1: ("name", "str"), 2: ("generateName", "str"), 3: ("namespace", "str"),
                   5: ("uid", "str"), 6: ("resourceVersion", "str"), 8: ("creationTimestamp",
                                                                            "time"),
                   11: ("labels", "map"), 12: ("annotations", "map"), 14: ("finalizers",
                                                                            "[]str")},
    "Secret": {1: ("metadata", "ObjectMeta"), 2: ("data", "bmap"), 3: ("type", "str"),
               4: ("stringData", "map"), 5: ("immutable", "bool")},
    "ConfigMap": {1: ("metadata", "ObjectMeta"), 2: ("data", "map"), 3: ("binaryData", "bmap"),
                  4: ("immutable", "bool")},
    "Namespace": {1: ("metadata", "ObjectMeta"), 2: ("spec", "NamespaceSpec"),
                  3: ("status", "skip")},
    "NamespaceSpec": {1: ("finalizers", "[]str")},
    "Deployment": {1: ("metadata", "ObjectMeta"), 2: ("spec", "DeploymentSpec"),
                   3: ("status", "skip")},
    "DeploymentSpec": {1: ("replicas", "int!"), 2: ("selector", "LabelSelector"),
                       3: ("template", "PodTemplateSpec"), 4: ("strategy", "DeploymentStrategy"),
                       5: ("minReadySeconds", "int"), 6: ("revisionHistoryLimit", "int!"),
                       7: ("paused", "bool"), 9: ("progressDeadlineSeconds", "int!")},
    "DeploymentStrategy": {1: ("type", "str"), 2: ("rollingUpdate", "RollingUpdate")},
    "RollingUpdate": {1: ("maxUnavailable", "intstr"), 2: ("maxSurge", "intstr")},
    "LabelSelector": {1: ("matchLabels", "map"), 2: ("matchExpressions", "[]Requirement")},
    "Requirement": {1: ("key", "str"), 2: ("operator", "str"), 3: ("values", "[]str")},
    "PodTemplateSpec": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodSpec")},
    "PodSpec": {2: ("containers", "[]Container"), 3: ("restartPolicy", "str"),
                4: ("terminationGracePeriodSeconds", "int!"), 6: ("dnsPolicy", "str"),
                7: ("nodeSelector", "map"), 8: ("serviceAccountName", "str"),
                10: ("nodeName", "str"), 16: ("hostname", "str"), 17: ("subdomain", "str"),
                19: ("schedulerName", "str"), 20: ("initContainers", "[]Container")},
    "Container": {1: ("name", "str"), 2: ("image", "str"), 3: ("command", "[]str"),
                  4: ("args", "[]str"), 5: ("workingDir", "str"),
                  6: ("ports", "[]ContainerPort"), 7: ("env", "[]EnvVar"),
                  8: ("resources", "Resources"), 13: ("terminationMessagePath", "str"),
                  14: ("imagePullPolicy", "str"), 20: ("terminationMessagePolicy", "str")},
    "ContainerPort": {1: ("name", "str"), 2: ("hostPort", "int"), 3: ("containerPort", "int"),
                      4: ("protocol", "str"), 5: ("hostIP", "str")},
    "EnvVar": {1: ("name", "str"), 2: ("value", "str")},
    "Resources": {1: ("limits", "qmap"), 2: ("requests", "qmap")},
    "Service": {1: ("metadata", "ObjectMeta"), 2: ("spec", "ServiceSpec"),
                3: ("status", "skip")},
    "ServiceSpec": {1: ("ports", "[]ServicePort"), 2: ("selector", "map"),
                    3: ("clusterIP", "str"), 4: ("type", "str"), 5: ("externalIPs", "[]str"),
                    7: ("sessionAffinity", "str"), 10: ("externalName", "str")},
    "ServicePort": {1: ("name", "str"), 2: ("protocol", "str"), 3: ("port", "int"),
                    4: ("targetPort", "intstr"), 5: ("nodePort", "int")},
}
KINDS = ("Secret", "ConfigMap", "Namespace", "Deployment", "Service")


class UnsupportedProtobuf(ProtobufError):
    """A kind or field this decoder does not read."""


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _map(values: list[bytes | int], decode: Any) -> dict[str, Any]:
    out = {}
    for entry in values:
        if isinstance(entry, bytes):
            parts = fields(entry)
            key = parts.get(1, [b""])[0]
            value = parts.get(2, [b""])[0]
            if isinstance(key, bytes) and isinstance(value, bytes):
                out[key.decode()] = decode(value)
    return out


def _quantity(data: bytes) -> str:
    inner = fields(data).get(1, [b""])[0]
    return inner.decode() if isinstance(inner, bytes) else ""


def _intstr(data: bytes) -> int | str:
    parts = fields(data)
    kind = parts.get(1, [0])[0]
    if kind == 1:
        value = parts.get(3, [b""])[0]
        return value.decode() if isinstance(value, bytes) else ""
    number = parts.get(2, [0])[0]
    return _signed(number) if isinstance(number, int) else 0


def _value(kind: str, values: list[bytes | int]) -> Any:
    last = values[-1]
    delimited = kind in ("str", "bytes", "time", "intstr", "skip") or kind[0].isupper()
    if delimited and not isinstance(last, bytes):
        raise ProtobufError(f"expected a length-delimited field for {kind}")
    if kind == "str":
        return last.decode() or None  # type: ignore[union-attr]
    if kind in ("int", "int!"):
        number = _signed(int(last))
        return number if number or kind == "int!" else None
    if kind == "bool":
        return True if last else None
    if kind in ("map", "bmap", "qmap"):
        decode = {"map": lambda b: b.decode(), "bmap": lambda b: base64.b64encode(b).decode(),
                  "qmap": _quantity}[kind]
        return _map(values, decode) or None
    if kind == "[]str":
        return [v.decode() for v in values if isinstance(v, bytes)] or None
    if kind == "intstr":
        return _intstr(last)  # type: ignore[arg-type]
    if kind in ("time", "skip"):
        return None  # kubectl sends zero times and empty statuses; the server sets them
    if kind.startswith("[]"):
        return [message(kind[2:], v) for v in values if isinstance(v, bytes)] or None
    decoded = message(kind, last)  # type: ignore[arg-type]
    return decoded


def message(name: str, data: bytes) -> dict[str, Any]:
    """Decode one message of `_MESSAGES` into its JSON form (unset fields left out)."""
    known = _MESSAGES[name]
    out: dict[str, Any] = {}
    for number, values in fields(data).items():
        if number not in known:
            if any(v not in (0, b"") for v in values):
                raise UnsupportedProtobuf(f"field {number} of {name} is not read by the drill")
            continue
        key, kind = known[number]
        value = _value(kind, values)
        if value is not None:
            out[key] = value
    return out


def decode_object(body: bytes) -> dict[str, Any]:
    """A protobuf-encoded object (`k8s\\0` envelope) as the JSON object it stands for."""
    if not body.startswith(MAGIC):
        raise ProtobufError("missing k8s protobuf envelope")
    unknown = fields(body[len(MAGIC):])
    type_meta = unknown.get(1, [b""])[0]
    raw = unknown.get(2, [b""])[0]
    if not isinstance(type_meta, bytes) or not isinstance(raw, bytes):
        raise ProtobufError("malformed envelope")
    meta = fields(type_meta)
    api_version = meta.get(1, [b""])[0]
    kind = meta.get(2, [b""])[0]
    if not isinstance(api_version, bytes) or not isinstance(kind, bytes):
        raise ProtobufError("malformed type meta")
    if kind.decode() not in KINDS:
        raise UnsupportedProtobuf(f"the drill reads protobuf {kind.decode()} objects only as "
                                  "JSON")
    return {"apiVersion": api_version.decode(), "kind": kind.decode(),
            **message(kind.decode(), raw)}
