"""A YAML snapshot of a namespace (or one Deployment's slice of it) before changing anything."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from tui.adapters.kube_base import Json, KubeBase, label_selector
from tui.adapters.kube_errors import Op

# The C dumper when PyYAML has it: thousands of pods take seconds with the pure-Python one.
DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _document(obj: Json, api_version: str, kind: str) -> Json:
    """A list item as a standalone manifest: kind/apiVersion first, managedFields dropped."""
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "managedFields"}
    rest = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, **rest}


def _selects(service: Json, labels: dict[str, str]) -> bool:
    selector = (service.get("spec") or {}).get("selector") or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


class SnapshotMixin(KubeBase):
    """snapshot."""

    def _all(self, resource: str, call: Any, ns: str, **kwargs: Any) -> list[Json]:
        items, _, _ = self._list(Op("list", resource, namespace=ns), call, ns, **kwargs)
        return items

    def snapshot(self, folder: str | os.PathLike[str], deployment: str | None = None,
                 filename: str = "snapshot.yaml", namespace: str | None = None) -> Path:
        """Write Deployments, ReplicaSets, pods, Services and events as one multi-doc YAML."""
        ns = self._ns(namespace)
        apps, core = self.apps, self.core
        if deployment is None:
            deployments = self._all("deployments.apps", apps.list_namespaced_deployment, ns)
            replicasets = self._all("replicasets.apps", apps.list_namespaced_replica_set, ns)
            pods = self._all("pods", core.list_namespaced_pod, ns)
            services = self._all("services", core.list_namespaced_service, ns)
            events = self._all("events", core.list_namespaced_event, ns)
        else:
            body = self._get_deployment(deployment, ns)
            deployments = [body]
            selector = label_selector((body.get("spec") or {}).get("selector"))
            uid = body["metadata"].get("uid")
            replicasets = [rs for rs in self._all("replicasets.apps",
                                                  apps.list_namespaced_replica_set, ns,
                                                  label_selector=selector)
                           if any(r.get("uid") == uid
                                  for r in rs["metadata"].get("ownerReferences") or [])]
            pods = self._all("pods", core.list_namespaced_pod, ns, label_selector=selector)
            labels = (((body.get("spec") or {}).get("template") or {}).get("metadata")
                      or {}).get("labels") or {}
            services = [s for s in self._all("services", core.list_namespaced_service, ns)
                        if _selects(s, labels)]
            involved = {o["metadata"].get("uid") for o in [body, *replicasets, *pods]}
            names = {o["metadata"].get("name") for o in [body, *replicasets, *pods]}
            events = [e for e in self._all("events", core.list_namespaced_event, ns)
                      if (e.get("involvedObject") or {}).get("uid") in involved
                      or (e.get("involvedObject") or {}).get("name") in names]
        documents = ([_document(o, "apps/v1", "Deployment") for o in deployments]
                     + [_document(o, "apps/v1", "ReplicaSet") for o in replicasets]
                     + [_document(o, "v1", "Pod") for o in pods]
                     + [_document(o, "v1", "Service") for o in services]
                     + [_document(o, "v1", "Event") for o in events])
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        header = (f"# snapshot of namespace {ns}"
                  + (f", deployment {deployment}" if deployment else "")
                  + f" — {self.target.describe()} — taken {stamp}\n")
        text = header + yaml.dump_all(documents, Dumper=DUMPER, sort_keys=False,
                                      allow_unicode=True, default_flow_style=False)
        path = Path(folder) / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so an interrupted snapshot never leaves half a file behind.
        partial = path.with_name(path.name + ".partial")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
        return path
