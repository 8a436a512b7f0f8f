"""The other runbook operations: scale, service switch, env, ConfigMap, access checks, GitOps."""

from __future__ import annotations

from tui.adapters.kube_base import FIELD_MANAGER, Json, KubeBase, label_selector
from tui.adapters.kube_errors import Op
from tui.adapters.kube_retry import retry_on_conflict
from tui.adapters.kube_types import AccessCheck, EnvChange, GitOpsInfo, KubeError
from tui.domain.actions import Permission
from tui.domain.pods import pod_ready

MERGE_PATCH = "application/merge-patch+json"
ARGO_TRACKING = "argocd.argoproj.io/tracking-id"
ARGO_INSTANCE = "argocd.argoproj.io/instance"
INSTANCE = "app.kubernetes.io/instance"
FLUX_KS = ("kustomize.toolkit.fluxcd.io/name", "kustomize.toolkit.fluxcd.io/namespace")
FLUX_HELM = ("helm.toolkit.fluxcd.io/name", "helm.toolkit.fluxcd.io/namespace")
SHOWN_PODS = 5


class OpsMixin(KubeBase):
    """scale / switch_service_selector / set_env / patch_configmap / can_i / gitops_manager."""

    def get_deployment(self, name: str, namespace: str | None = None) -> Json:
        """One Deployment as raw JSON."""
        return self._get_deployment(name, namespace)

    def get_service(self, name: str, namespace: str | None = None) -> Json:
        """One Service as raw JSON."""
        self._require_name("services", name)
        ns = self._ns(namespace)
        return self._request(Op("get", "services", name, ns),
                             self.core.read_namespaced_service, name, ns)

    def get_configmap(self, name: str, namespace: str | None = None) -> Json:
        """One ConfigMap as raw JSON."""
        self._require_name("configmaps", name)
        ns = self._ns(namespace)
        return self._request(Op("get", "configmaps", name, ns),
                             self.core.read_namespaced_config_map, name, ns)

    @retry_on_conflict
    def scale(self, deployment: str, replicas: int, *, dry_run: bool = False,
              namespace: str | None = None) -> int:
        """Set the Deployment's replicas through the scale subresource; returns the old count."""
        self._require_name("deployments.apps", deployment)
        ns = self._ns(namespace)
        if replicas < 0:
            raise KubeError(f"cannot scale deployment \"{deployment}\" to {replicas}: replicas "
                            "must be 0 or more", reason="Invalid", name=deployment, namespace=ns)
        current = self._request(Op("get", "deployments.apps/scale", deployment, ns),
                                self.apps.read_namespaced_deployment_scale, deployment, ns)
        self._request(Op("patch", "deployments.apps/scale", deployment, ns),
                      self.apps.patch_namespaced_deployment_scale, deployment, ns,
                      {"spec": {"replicas": replicas}}, dry_run="All" if dry_run else None,
                      field_manager=FIELD_MANAGER, _content_type=MERGE_PATCH)
        return int((current.get("spec") or {}).get("replicas") or 0)

    @retry_on_conflict
    def switch_service_selector(self, service: str, selector: dict[str, str | None], *,
                                require_ready: bool = True, dry_run: bool = False,
                                namespace: str | None = None) -> dict[str, str]:
        """Point a Service at other pods (blue-green); returns the old selector.

        The patch is a strategic merge, so the new selector is the old one with these keys set
        (None removes a key); with require_ready, the pods it would select must all be Ready.
        """
        self._require_name("services", service)
        ns = self._ns(namespace)
        op = Op("patch", "services", service, ns)
        body = self._request(Op("get", "services", service, ns),
                             self.core.read_namespaced_service, service, ns)
        old = dict((body.get("spec") or {}).get("selector") or {})
        merged = {k: v for k, v in {**old, **selector}.items() if v is not None}
        if require_ready:
            self._require_ready_pods(op, merged)
        self._request(op, self.core.patch_namespaced_service, service, ns,
                      {"spec": {"selector": selector}}, dry_run="All" if dry_run else None,
                      field_manager=FIELD_MANAGER)
        return old

    def _require_ready_pods(self, op: Op, selector: dict[str, str]) -> None:
        text = label_selector({"matchLabels": selector})
        if not selector:
            raise op.error(f'refusing to switch service "{op.name}": an empty selector would '
                           "select no pods", reason="NotReady")
        pods, _, _ = self._list(Op("list", "pods", namespace=op.namespace),
                                self.core.list_namespaced_pod, op.namespace,
                                label_selector=text)
        # Terminating pods leave the endpoints anyway; they neither count nor block.
        live = [p for p in pods if not (p.get("metadata") or {}).get("deletionTimestamp")]
        if not live:
            raise op.error(f'refusing to switch service "{op.name}" in namespace '
                           f'"{op.namespace}": no pods match the new selector {text}, so it '
                           "would have no endpoints — start the new pods first or check the "
                           "labels", reason="NotReady")
        unready = [p["metadata"]["name"] for p in live if not pod_ready(p)]
        if unready:
            shown = ", ".join(unready[:SHOWN_PODS]) + (" …" if len(unready) > SHOWN_PODS else "")
            raise op.error(f'refusing to switch service "{op.name}" in namespace '
                           f'"{op.namespace}": {len(unready)} of {len(live)} pods matching '
                           f"{text} are not Ready ({shown}) — wait until they are ready",
                           reason="NotReady")

    @retry_on_conflict
    def set_env(self, deployment: str, env: dict[str, str | None], container: str | None = None,
                *, dry_run: bool = False, namespace: str | None = None) -> EnvChange:
        """Set (None: remove) env variables on one or all containers (starts a rollout)."""
        ns = self._ns(namespace)
        op = Op("patch", "deployments.apps", deployment, ns)
        body = self._get_deployment(deployment, ns)
        found = (((body.get("spec") or {}).get("template") or {}).get("spec") or {}).get(
            "containers") or []
        names = [c.get("name", "") for c in found]
        if container is not None and container not in names:
            raise op.error(f'deployment "{deployment}" has no container "{container}" — its '
                           f"containers are: {', '.join(names)}", status=404, reason="NotFound")
        old: dict[str, dict[str, str | None]] = {}
        patched = []
        for spec in found:
            if container is not None and spec.get("name") != container:
                continue
            current = {e.get("name"): e for e in spec.get("env") or []}
            old[spec["name"]] = {k: (current[k].get("value") if k in current else None)
                                 for k in env}
            entries: list[Json] = []
            for key, value in env.items():
                if value is None:
                    entries.append({"name": key, "$patch": "delete"})
                else:
                    entry: Json = {"name": key, "value": value}
                    if "valueFrom" in current.get(key, {}):
                        entry["valueFrom"] = None  # a variable has a value or a source, not both
                    entries.append(entry)
            patched.append({"name": spec["name"], "env": entries})
        result = self._request(op, self.apps.patch_namespaced_deployment, deployment, ns,
                               {"spec": {"template": {"spec": {"containers": patched}}}},
                               dry_run="All" if dry_run else None, field_manager=FIELD_MANAGER)
        return EnvChange(old=old, generation=int((result.get("metadata") or {}).get(
            "generation") or 0))

    @retry_on_conflict
    def patch_configmap(self, name: str, data: dict[str, str | None], *, dry_run: bool = False,
                        namespace: str | None = None) -> dict[str, str | None]:
        """Merge keys into a ConfigMap's data (None removes a key); returns their old values."""
        self._require_name("configmaps", name)
        ns = self._ns(namespace)
        body = self._request(Op("get", "configmaps", name, ns),
                             self.core.read_namespaced_config_map, name, ns)
        current = body.get("data") or {}
        self._request(Op("patch", "configmaps", name, ns), self.core.patch_namespaced_config_map,
                      name, ns, {"data": data}, dry_run="All" if dry_run else None,
                      field_manager=FIELD_MANAGER, _content_type=MERGE_PATCH)
        return {key: current.get(key) for key in data}

    def can_i(self, permissions: list[Permission], namespace: str | None = None
              ) -> list[AccessCheck]:
        """Ask the API server (SelfSubjectAccessReview) whether each permission is granted."""
        ns = self._ns(namespace)
        op = Op("create", "selfsubjectaccessreviews.authorization.k8s.io", namespace=ns)
        checks = []
        for permission in permissions:
            attributes = {"namespace": ns, "verb": permission.verb,
                          "group": permission.group, "resource": permission.resource}
            if permission.subresource:
                attributes["subresource"] = permission.subresource
            review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                      "spec": {"resourceAttributes": attributes}}
            body = self._request(op, self.authz.create_self_subject_access_review, review)
            status = body.get("status") or {}
            allowed = bool(status.get("allowed"))
            reason = str(status.get("reason") or status.get("evaluationError") or "")
            checks.append(AccessCheck(permission, allowed, reason or (
                "allowed" if allowed else f"{permission.label()} is not granted in {ns}")))
        return checks

    def gitops_manager(self, deployment: str, namespace: str | None = None
                       ) -> GitOpsInfo | None:
        """The Argo CD or Flux object that syncs this Deployment, and how to suspend it."""
        ns = self._ns(namespace)
        body = self._get_deployment(deployment, ns)
        meta = body.get("metadata") or {}
        labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}
        tracking = annotations.get(ARGO_TRACKING, "")
        if tracking or labels.get(ARGO_INSTANCE):
            # tracking-id is `<app>:<group>/<kind>:<namespace>/<name>`; an app outside
            # Argo CD's own namespace is `<namespace>_<app>` (names cannot contain "_").
            app = tracking.split(":", 1)[0] if tracking else labels[ARGO_INSTANCE]
            app = app or labels.get(INSTANCE, "")
            app_ref = app.replace("_", "/", 1)
            evidence = (f"annotation {ARGO_TRACKING}={tracking}" if tracking
                        else f"label {ARGO_INSTANCE}={labels[ARGO_INSTANCE]}")
            return GitOpsInfo(tool="argocd", app=app_ref, namespace=ns,
                              suspend=f"argocd app set {app_ref} --sync-policy none",
                              resume=f"argocd app set {app_ref} --sync-policy automated",
                              evidence=evidence)
        for (name_key, ns_key), kind in ((FLUX_KS, "kustomization"), (FLUX_HELM, "helmrelease")):
            if labels.get(name_key):
                name, owner_ns = labels[name_key], labels.get(ns_key) or ns
                return GitOpsInfo(tool="flux", app=name, namespace=owner_ns,
                                  suspend=f"flux suspend {kind} {name} -n {owner_ns}",
                                  resume=f"flux resume {kind} {name} -n {owner_ns}",
                                  evidence=f"label {name_key}={name}")
        return None
