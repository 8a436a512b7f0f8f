"""Rollout history, the diff to a revision, and `rollout undo` with kubectl's semantics."""

from __future__ import annotations

from tui.adapters.kube_base import FIELD_MANAGER, Json, KubeBase, label_selector
from tui.adapters.kube_diff import diff_templates, images, same_template, without_hash
from tui.adapters.kube_errors import Op
from tui.adapters.kube_retry import retry_on_conflict
from tui.adapters.kube_types import KubeError, Revision, TemplateDiff, UndoResult

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
# kubectl's annotationsToSkip: kept from the Deployment, never copied from the ReplicaSet.
ANNOTATIONS_TO_SKIP = frozenset({
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
})


def _revision_number(obj: Json) -> int:
    try:
        return int(((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION, ""))
    except ValueError:
        return -1


def _owned_by(obj: Json, uid: str) -> bool:
    return any(ref.get("controller") and ref.get("uid") == uid
               for ref in (obj.get("metadata") or {}).get("ownerReferences") or [])


class RolloutMixin(KubeBase):
    """rollout_history / revision_diff / rollout_undo."""

    def _revisions(self, deployment: Json) -> list[Revision]:
        meta, spec = deployment["metadata"], deployment.get("spec") or {}
        ns = meta.get("namespace") or self.namespace
        items, _, _ = self._list(Op("list", "replicasets.apps", namespace=ns),
                                 self.apps.list_namespaced_replica_set, ns,
                                 label_selector=label_selector(spec.get("selector")))
        revisions = []
        for rs in items:
            number = _revision_number(rs)
            if number < 0 or not _owned_by(rs, meta.get("uid", "")):
                continue
            template = (rs.get("spec") or {}).get("template") or {}
            rs_meta = rs.get("metadata") or {}
            revisions.append(Revision(
                number=number,
                change_cause=(rs_meta.get("annotations") or {}).get(CHANGE_CAUSE, ""),
                images=images(template), replicaset=rs_meta.get("name", ""),
                created=rs_meta.get("creationTimestamp", ""), template=template,
                replicas=int((rs.get("spec") or {}).get("replicas") or 0),
                current=same_template(template, spec.get("template") or {}),
                annotations=dict(rs_meta.get("annotations") or {})))
        revisions.sort(key=lambda r: r.number)
        current = [r for r in revisions if r.current]
        for extra in current[:-1]:  # two identical templates: the newest is the live one
            extra.current = False
        return revisions

    @staticmethod
    def _current_number(deployment: Json, revisions: list[Revision]) -> int:
        for revision in revisions:
            if revision.current:
                return revision.number
        # The template changed but its ReplicaSet does not exist yet: every revision is older.
        return max((r.number for r in revisions), default=0) + 1

    def _target(self, deployment: Json, revisions: list[Revision], to_revision: int
                ) -> Revision:
        name = deployment["metadata"]["name"]
        ns = deployment["metadata"].get("namespace", "")
        if to_revision < 0:
            raise KubeError(f"invalid revision {to_revision}: use 0 for the previous revision or "
                            "a number from the rollout history", reason="Invalid", name=name,
                            namespace=ns, resource="deployments.apps")
        if to_revision > 0:
            for revision in revisions:
                if revision.number == to_revision:
                    return revision
            known = ", ".join(str(r.number) for r in revisions) or "none"
            raise KubeError(f"unable to find specified revision {to_revision} in history "
                            f"(deployment \"{name}\" has revisions {known}) — pick one from "
                            "the rollout history", reason="NotFound", name=name, namespace=ns,
                            resource="deployments.apps")
        current = self._current_number(deployment, revisions)
        older = [r for r in revisions if r.number < current]
        if not older:
            raise KubeError(f'no rollout history found for deployment "{name}" (no revision '
                            f"before {current}) — there is nothing to roll back to",
                            reason="NotFound", name=name, namespace=ns,
                            resource="deployments.apps")
        return older[-1]

    def rollout_history(self, deployment: str, namespace: str | None = None) -> list[Revision]:
        """The Deployment's revisions (one per ReplicaSet it owns), oldest first."""
        return self._revisions(self._get_deployment(deployment, namespace))

    def revision_diff(self, deployment: str, to_revision: int = 0,
                      namespace: str | None = None) -> TemplateDiff:
        """What rolling back to `to_revision` (0: the previous one) would change."""
        body = self._get_deployment(deployment, namespace)
        revisions = self._revisions(body)
        target = self._target(body, revisions, to_revision)
        return diff_templates(body["spec"]["template"], target.template,
                              self._current_number(body, revisions), target.number)

    @retry_on_conflict
    def rollout_undo(self, deployment: str, to_revision: int = 0, *, resume_paused: bool = False,
                     dry_run: bool = False, namespace: str | None = None) -> UndoResult:
        """Roll back to `to_revision` (0: the previous one) as `kubectl rollout undo` does."""
        ns = self._ns(namespace)
        op = Op("patch", "deployments.apps", deployment, ns)
        body = self._get_deployment(deployment, ns)
        dry = "All" if dry_run else None
        resumed = False
        if (body.get("spec") or {}).get("paused"):
            if not resume_paused:
                raise op.error(f'deployment "{deployment}" in namespace "{ns}" is paused: you '
                               "cannot roll back a paused deployment; resume it first (kubectl "
                               f"rollout resume deploy/{deployment} -n {ns}) or confirm "
                               "resuming it as part of the rollback", reason="Paused")
            # kubectl refuses a paused Deployment; resuming first is the confirmed shortcut.
            body = self._request(op, self.apps.patch_namespaced_deployment, deployment, ns,
                                 {"spec": {"paused": None}}, dry_run=dry,
                                 field_manager=FIELD_MANAGER)
            resumed = True
        revisions = self._revisions(body)
        target = self._target(body, revisions, to_revision)
        current = self._current_number(body, revisions)
        meta = body["metadata"]
        generation = int(meta.get("generation") or 0)
        if same_template(target.template, body["spec"]["template"]):
            note = "resumed it; " if resumed else ""
            return UndoResult(
                changed=False, dry_run=dry_run, resumed=resumed, from_revision=current,
                to_revision=target.number, generation=generation,
                message=f"{note}already at revision {target.number} (current template already "
                        f"matches revision {target.number}); nothing to roll back")
        kept = meta.get("annotations") or {}
        annotations = {k: v for k, v in kept.items() if k in ANNOTATIONS_TO_SKIP}
        annotations.update({k: v for k, v in target.annotations.items()
                            if k not in ANNOTATIONS_TO_SKIP})
        # The same JSON patch kubectl sends ("add" only if the Deployment has no annotations
        # at all, where "replace" would fail on the missing member).
        patch = [{"op": "replace", "path": "/spec/template",
                  "value": without_hash(target.template)},
                 {"op": "replace" if "annotations" in meta else "add",
                  "path": "/metadata/annotations", "value": annotations}]
        patched = self._request(op, self.apps.patch_namespaced_deployment, deployment, ns, patch,
                                dry_run=dry, field_manager=FIELD_MANAGER,
                                _content_type="application/json-patch+json")
        generation = int((patched.get("metadata") or {}).get("generation") or generation)
        done = "would roll back" if dry_run else "rolled back"
        return UndoResult(
            changed=True, dry_run=dry_run, resumed=resumed, from_revision=current,
            to_revision=target.number, generation=generation, patch=patch,
            message=(("resumed it and " if resumed else "") + f'{done} deployment "{deployment}" '
                     f"from revision {current} to revision {target.number} "
                     f"({', '.join(target.images)})"
                     + (" (server dry run: nothing changed)" if dry_run else "")),
            request=(f"PATCH /apis/apps/v1/namespaces/{ns}/deployments/{deployment}"
                     + ("?dryRun=All" if dry_run else "") + " (application/json-patch+json)"))

