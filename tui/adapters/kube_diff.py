"""Pure comparisons of pod templates: kubectl's equality for undo, and a readable diff."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from tui.adapters.kube_types import TemplateDiff

HASH_LABEL = "pod-template-hash"
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
# Values of variables named like this are not shown: diffs end up in the journal and exports.
SECRET_NAME = re.compile(r"pass(word)?|secret|token|api[_-]?key|private|credential",
                         re.IGNORECASE)
Json = dict[str, Any]


def _pruned(value: Any) -> Any:
    """Drop nulls and empty maps/lists, as Go's semantic equality treats them as absent."""
    if isinstance(value, dict):
        out = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def without_hash(template: Json) -> Json:
    """A copy of the template without the `pod-template-hash` label."""
    out = copy.deepcopy(template)
    labels = (out.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(HASH_LABEL, None)
    return out


def same_template(a: Json, b: Json) -> bool:
    """kubectl's equalIgnoreHash: equal once the hash label and empty values are ignored."""
    return _pruned(without_hash(a)) == _pruned(without_hash(b))


def containers(template: Json) -> dict[str, Json]:
    """Containers and init containers by name."""
    spec = template.get("spec") or {}
    found = {c.get("name", ""): c for c in spec.get("initContainers") or []}
    found.update({c.get("name", ""): c for c in spec.get("containers") or []})
    return found


def images(template: Json) -> list[str]:
    """The images of the template's containers, in order."""
    return [c.get("image", "") for c in (template.get("spec") or {}).get("containers") or []]


def _env_value(name: str, entry: Json) -> str:
    if "valueFrom" in entry:
        source = entry["valueFrom"] or {}
        for kind, key in (("configMapKeyRef", "configMap"), ("secretKeyRef", "secret")):
            if kind in source:
                ref = source[kind]
                return f"from {key} {ref.get('name', '')} key {ref.get('key', '')}"
        field = (source.get("fieldRef") or {}).get("fieldPath")
        return f"from field {field}" if field else "from " + json.dumps(source, sort_keys=True)
    value = str(entry.get("value", ""))
    return "(hidden)" if SECRET_NAME.search(name) else repr(value)


def _env_lines(container: str, old: Json, new: Json) -> list[str]:
    before = {e.get("name", ""): e for e in old.get("env") or []}
    after = {e.get("name", ""): e for e in new.get("env") or []}
    lines = []
    for name in sorted(set(before) | set(after)):
        if name not in before:
            lines.append(f"{container}: + {name}={_env_value(name, after[name])} (added)")
        elif name not in after:
            lines.append(f"{container}: - {name} (removed, was {_env_value(name, before[name])})")
        elif _pruned(before[name]) != _pruned(after[name]):
            lines.append(f"{container}: ~ {name}: {_env_value(name, before[name])} → "
                         f"{_env_value(name, after[name])}")
    return lines


def config_refs(template: Json) -> set[str]:
    """Every ConfigMap and Secret the template reads, as `configMap NAME (how)` strings."""
    refs: set[str] = set()
    spec = template.get("spec") or {}
    for name, container in containers(template).items():
        for entry in container.get("env") or []:
            source = (entry.get("valueFrom") or {})
            for kind, label in (("configMapKeyRef", "configMap"), ("secretKeyRef", "secret")):
                if kind in source:
                    ref = source[kind]
                    refs.add(f"{label} {ref.get('name', '')} (env {entry.get('name', '')} of "
                             f"{name})")
        for entry in container.get("envFrom") or []:
            for kind, label in (("configMapRef", "configMap"), ("secretRef", "secret")):
                if kind in entry:
                    refs.add(f"{label} {entry[kind].get('name', '')} (envFrom of {name})")
    for volume in spec.get("volumes") or []:
        if "configMap" in volume:
            refs.add(f"configMap {volume['configMap'].get('name', '')} (volume "
                     f"{volume.get('name', '')})")
        if "secret" in volume:
            refs.add(f"secret {volume['secret'].get('secretName', '')} (volume "
                     f"{volume.get('name', '')})")
        for source in (volume.get("projected") or {}).get("sources") or []:
            for kind, label, key in (("configMap", "configMap", "name"),
                                     ("secret", "secret", "name")):
                if kind in source:
                    refs.add(f"{label} {source[kind].get(key, '')} (projected volume "
                             f"{volume.get('name', '')})")
    return refs


def describe_probe(probe: Json | None) -> str:
    """`httpGet :8080/health every 5s` and the like."""
    if not probe:
        return "none"
    if "httpGet" in probe:
        get = probe["httpGet"]
        how = f"httpGet :{get.get('port', '')}{get.get('path', '/')}"
    elif "tcpSocket" in probe:
        how = f"tcpSocket :{probe['tcpSocket'].get('port', '')}"
    elif "exec" in probe:
        how = "exec " + " ".join(str(a) for a in (probe["exec"].get("command") or []))
    elif "grpc" in probe:
        how = f"grpc :{probe['grpc'].get('port', '')}"
    else:
        how = "?"
    timing = [f"{key} {probe[key]}" for key in ("initialDelaySeconds", "periodSeconds",
                                                "timeoutSeconds", "failureThreshold")
              if key in probe]
    return how + (f" ({', '.join(timing)})" if timing else "")


def _resource_lines(container: str, old: Json, new: Json) -> list[str]:
    lines = []
    before, after = old.get("resources") or {}, new.get("resources") or {}
    for section in ("requests", "limits"):
        b, a = before.get(section) or {}, after.get(section) or {}
        for key in sorted(set(b) | set(a)):
            if b.get(key) != a.get(key):
                lines.append(f"{container}: {section} {key} {b.get(key, 'unset')} → "
                             f"{a.get(key, 'unset')}")
    return lines


def diff_templates(current: Json, target: Json, from_revision: int, to_revision: int
                   ) -> TemplateDiff:
    """What changes when the Deployment's template goes from `current` to `target`."""
    diff = TemplateDiff(from_revision, to_revision)
    old, new = containers(current), containers(target)
    for name in sorted(set(old) | set(new)):
        if name not in new:
            diff.images.append(f"- container {name} ({old[name].get('image', '')}) removed")
            continue
        if name not in old:
            diff.images.append(f"+ container {name} ({new[name].get('image', '')}) added")
            continue
        a, b = old[name], new[name]
        if a.get("image") != b.get("image"):
            diff.images.append(f"{name}: {a.get('image', '')} → {b.get('image', '')}")
        diff.env += _env_lines(name, a, b)
        for probe in PROBES:
            if _pruned(a.get(probe)) != _pruned(b.get(probe)):
                diff.probes.append(f"{name} {probe}: {describe_probe(a.get(probe))} → "
                                   f"{describe_probe(b.get(probe))}")
        diff.resources += _resource_lines(name, a, b)
    before, after = config_refs(current), config_refs(target)
    diff.config_refs = ([f"- {ref}" for ref in sorted(before - after)]
                        + [f"+ {ref}" for ref in sorted(after - before)])
    shown = ("image", "env", "resources", *PROBES)
    both = set(old) & set(new)
    rest_a = {n: {f: v for f, v in old[n].items() if f not in shown} for n in both}
    rest_b = {n: {f: v for f, v in new[n].items() if f not in shown} for n in both}
    if _pruned(rest_a) != _pruned(rest_b):
        diff.other.append("other container fields differ (ports, commands, mounts…)")
    pod_a = {k: v for k, v in (current.get("spec") or {}).items()
             if k not in ("containers", "initContainers")}
    pod_b = {k: v for k, v in (target.get("spec") or {}).items()
             if k not in ("containers", "initContainers")}
    if _pruned(pod_a) != _pruned(pod_b):
        keys = sorted(k for k in set(pod_a) | set(pod_b)
                      if _pruned(pod_a.get(k)) != _pruned(pod_b.get(k)))
        diff.other.append("pod spec differs: " + ", ".join(keys))
    labels_a = (without_hash(current).get("metadata") or {})
    labels_b = (without_hash(target).get("metadata") or {})
    if _pruned(labels_a) != _pruned(labels_b):
        diff.other.append("pod labels or annotations differ")
    return diff
