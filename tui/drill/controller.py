"""The simulated deployment and ReplicaSet controllers (revisions, rolling updates, status)."""

from __future__ import annotations

import copy
from typing import Any

from tui.drill.clock import DrillClock, parse_rfc3339, rfc3339
from tui.drill.defaults import (
    HASH_LABEL,
    comparable_template,
    surge_and_unavailable,
    template_hash,
)
from tui.drill.events import record_event
from tui.drill.podindex import PodsByOwner
from tui.drill.podsim import POD_EVENT_LIMIT, BehaviorFor, PodLifecycles
from tui.drill.store import Store

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
SKIPPED_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration", REVISION,
                       REVISION_HISTORY, DESIRED, MAX_REPLICAS)
POD_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def revision_of(obj: dict[str, Any]) -> int:
    """The revision annotation as a number (0 when absent)."""
    try:
        return int(obj["metadata"].get("annotations", {}).get(REVISION, "0"))
    except ValueError:
        return 0


def _owned_by(obj: dict[str, Any], uid: str) -> bool:
    return any(ref.get("uid") == uid and ref.get("controller")
               for ref in obj["metadata"].get("ownerReferences", []))


def _copy_annotations(source: dict[str, Any]) -> dict[str, str]:
    annotations = source["metadata"].get("annotations", {})
    return {k: v for k, v in annotations.items() if k not in SKIPPED_ANNOTATIONS}


def _condition(type_: str, status: str, reason: str, message: str, now: float
               ) -> dict[str, Any]:
    stamp = rfc3339(now)
    return {"type": type_, "status": status, "lastUpdateTime": stamp,
            "lastTransitionTime": stamp, "reason": reason, "message": message}


class Controllers:
    """Deployment → ReplicaSet → Pod reconciliation, one `tick()` at a time."""

    def __init__(self, store: Store, clock: DrillClock, behavior_for: BehaviorFor) -> None:
        self.store, self.clock = store, clock
        self.pods = PodLifecycles(store, clock, behavior_for)
        self.warm = False  # True while building a scenario's starting state
        self.owned = PodsByOwner(store, lambda pod: self.pods.serving(pod)[0])
        # ReplicaSets of the scenario's history: only their pods start warm. A rollout that is
        # still in progress at the start gets fresh pods (AGE 0s, ContainerCreating), not pods
        # older than their own ReplicaSet.
        self._historical: set[str] = set()
        # id(template) -> (template, comparable form). Stored objects never change in place, so
        # one template object always compares the same; every tick compares every ReplicaSet's.
        self._comparables: dict[int, tuple[dict[str, Any], Any]] = {}

    def tick(self) -> None:
        """Advance pods, then reconcile ReplicaSets and Deployments, then statuses."""
        with self.store.lock:
            self.pods.advance()
            for deployment in list(self.store.objects("deployments")):
                self._sync_deployment(deployment)
            for rs in list(self.store.objects("replicasets")):
                self._sync_replicaset(rs)
            for deployment in list(self.store.objects("deployments")):
                self._deployment_status(deployment)

    # ---- ReplicaSets ---------------------------------------------------------------------
    def _pod_name(self, rs_name: str, namespace: str) -> str:
        while True:
            suffix = "".join(self.store.rng.choice(POD_SUFFIX_ALPHABET) for _ in range(5))
            name = f"{rs_name}-{suffix}"
            if self.store.get("pods", namespace, name) is None:
                return name

    def _sync_replicaset(self, rs: dict[str, Any]) -> None:
        meta, want = rs["metadata"], rs["spec"].get("replicas", 1)
        active, _ = self.owned.counts(meta["uid"])
        quiet = want > POD_EVENT_LIMIT
        if active < want:
            for _ in range(want - active):
                name = self._pod_name(meta["name"], meta["namespace"])
                pod = self.pods.new_pod(rs["spec"]["template"], name, meta["namespace"], rs,
                                        quiet, warm=self.warm and meta["uid"] in self._historical)
                if not quiet:
                    # Stamped when the pod was created (a starting pod was, long ago).
                    record_event(self.store, rs, "apps/v1", "ReplicaSet", "SuccessfulCreate",
                                 f"Created pod: {name}", component="replicaset-controller",
                                 at=parse_rfc3339(pod["metadata"]["creationTimestamp"]))
        elif active > want:
            # Delete not-ready pods first, then the newest, as the ReplicaSet controller does.
            for pod in self.owned.deletion_order(meta["uid"], active - want):
                self.pods.terminate(pod)
                if not quiet:
                    record_event(self.store, rs, "apps/v1", "ReplicaSet", "SuccessfulDelete",
                                 f"Deleted pod: {pod['metadata']['name']}",
                                 component="replicaset-controller")
        current = self.store.get("replicasets", meta["namespace"], meta["name"])
        if current is None:
            return
        rs = current.obj
        active, ready = self.owned.counts(meta["uid"])
        status: dict[str, Any] = {"replicas": active, "observedGeneration":
                                  rs["metadata"].get("generation", 1)}
        if active:
            status["fullyLabeledReplicas"] = active
        if ready:
            status["readyReplicas"] = ready
            status["availableReplicas"] = ready
        if status != rs.get("status"):
            self.store.replace("replicasets", {**rs, "status": status})

    # ---- Deployments ---------------------------------------------------------------------
    def replicasets_of(self, deployment: dict[str, Any]) -> list[dict[str, Any]]:
        """ReplicaSets controlled by a deployment, oldest revision first."""
        uid = deployment["metadata"]["uid"]
        owned = [rs for rs in self.store.objects("replicasets",
                                                 deployment["metadata"]["namespace"])
                 if _owned_by(rs, uid)]
        return sorted(owned, key=revision_of)

    def create_revision(self, deployment: dict[str, Any], revision: int, created: str
                        ) -> dict[str, Any]:
        """A ReplicaSet for the deployment's template at `revision` (scenario history)."""
        rs = self._new_replicaset(deployment, revision, created)
        self._historical.add(rs["metadata"]["uid"])
        return rs

    def _new_replicaset(self, deployment: dict[str, Any], revision: int,
                        created: str | None = None) -> dict[str, Any]:
        meta, spec = deployment["metadata"], deployment["spec"]
        template = copy.deepcopy(spec["template"])
        pod_hash = template_hash(template)
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = pod_hash
        selector = copy.deepcopy(spec.get("selector", {}))
        selector.setdefault("matchLabels", {})[HASH_LABEL] = pod_hash
        surge = surge_and_unavailable(deployment)[0]
        annotations = _copy_annotations(deployment)
        annotations.update({DESIRED: str(spec.get("replicas", 1)),
                            MAX_REPLICAS: str(spec.get("replicas", 1) + surge),
                            REVISION: str(revision)})
        rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{meta['name']}-{pod_hash}",
                "namespace": meta["namespace"],
                "labels": dict(template["metadata"]["labels"]),
                "annotations": annotations,
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                     "name": meta["name"], "uid": meta["uid"],
                                     "controller": True, "blockOwnerDeletion": True}],
                **({"creationTimestamp": created} if created else {}),
            },
            "spec": {"replicas": 0, "minReadySeconds": spec.get("minReadySeconds", 0),
                     "selector": selector, "template": template},
            "status": {"replicas": 0},
        }
        return self.store.create("replicasets", rs)

    def _set_rs_annotations(self, rs: dict[str, Any], annotations: dict[str, str]
                            ) -> dict[str, Any]:
        merged = {**rs["metadata"].get("annotations", {}), **annotations}
        if merged == rs["metadata"].get("annotations", {}):
            return rs
        return self.store.replace("replicasets", {**rs, "metadata": {**rs["metadata"],
                                                                     "annotations": merged}})

    def _scale_rs(self, rs: dict[str, Any], deployment: dict[str, Any], replicas: int
                  ) -> dict[str, Any]:
        old = rs["spec"].get("replicas", 0)
        if old == replicas:
            return rs
        spec = deployment["spec"]
        surge = surge_and_unavailable(deployment)[0]
        meta = {**rs["metadata"], "annotations": {
            **rs["metadata"].get("annotations", {}), DESIRED: str(spec.get("replicas", 1)),
            MAX_REPLICAS: str(spec.get("replicas", 1) + surge)}}
        updated = self.store.replace("replicasets", {**rs, "metadata": meta,
                                                     "spec": {**rs["spec"], "replicas": replicas}})
        direction = "up" if replicas > old else "down"
        record_event(self.store, deployment, "apps/v1", "Deployment", "ScalingReplicaSet",
                     # The wording of the deployment controller since Kubernetes 1.28.
                     f"Scaled {direction} replica set {rs['metadata']['name']} to {replicas} "
                     f"from {old}")
        return updated

    def find_new_replicaset(self, deployment: dict[str, Any], rses: list[dict[str, Any]]
                            ) -> dict[str, Any] | None:
        """The ReplicaSet whose template equals the deployment's (ignoring the hash label)."""
        wanted = self._comparable(deployment["spec"]["template"])
        matches = [rs for rs in rses if self._comparable(rs["spec"]["template"]) == wanted]
        return matches[-1] if matches else None

    def _comparable(self, template: dict[str, Any]) -> Any:
        known = self._comparables.get(id(template))
        if known is None:
            if len(self._comparables) > 256:
                self._comparables.clear()
            # The template is kept with its form, so its id cannot be reused meanwhile.
            known = self._comparables[id(template)] = (template, comparable_template(template))
        return known[1]

    def _sync_deployment(self, deployment: dict[str, Any]) -> None:
        spec = deployment["spec"]
        rses = self.replicasets_of(deployment)
        max_revision = max((revision_of(rs) for rs in rses), default=0)
        new_rs = self.find_new_replicaset(deployment, rses)
        paused = bool(spec.get("paused"))
        if paused and new_rs is None:
            return
        if new_rs is None:
            new_rs = self._new_replicaset(deployment, max_revision + 1)
            self._progressing(deployment, "NewReplicaSetCreated",
                              f'Created new replica set "{new_rs["metadata"]["name"]}"')
        elif revision_of(new_rs) < max_revision and not paused:
            old_revision = str(revision_of(new_rs))
            history = new_rs["metadata"].get("annotations", {}).get(REVISION_HISTORY)
            history = f"{history},{old_revision}" if history else old_revision
            annotations = _copy_annotations(deployment)
            annotations.update({REVISION: str(max_revision + 1), REVISION_HISTORY: history})
            new_rs = self._set_rs_annotations(new_rs, annotations)
        else:
            new_rs = self._set_rs_annotations(new_rs, _copy_annotations(deployment))
        deployment = self._annotate_deployment(deployment, str(revision_of(new_rs)))
        if paused:
            return
        olds = [rs for rs in self.replicasets_of(deployment)
                if rs["metadata"]["uid"] != new_rs["metadata"]["uid"]]
        self._rolling_update(deployment, new_rs, olds)
        self._cleanup(deployment, olds)

    def _annotate_deployment(self, deployment: dict[str, Any], revision: str
                             ) -> dict[str, Any]:
        annotations = deployment["metadata"].get("annotations", {})
        if annotations.get(REVISION) == revision:
            return deployment
        return self.store.replace("deployments", {**deployment, "metadata": {
            **deployment["metadata"], "annotations": {**annotations, REVISION: revision}}})

    def _rolling_update(self, deployment: dict[str, Any], new_rs: dict[str, Any],
                        olds: list[dict[str, Any]]) -> None:
        replicas = deployment["spec"].get("replicas", 1)
        surge, unavailable = surge_and_unavailable(deployment)
        active_olds = [rs for rs in olds if rs["spec"].get("replicas", 0) > 0]
        if not active_olds:
            self._scale_rs(new_rs, deployment, replicas)
            return
        new_count = new_rs["spec"].get("replicas", 0)
        total = new_count + sum(rs["spec"].get("replicas", 0) for rs in olds)
        if new_count > replicas:
            self._scale_rs(new_rs, deployment, replicas)
            return
        if new_count < replicas and total < replicas + surge:
            grow = min(replicas + surge - total, replicas - new_count)
            self._scale_rs(new_rs, deployment, new_count + grow)
            return
        # Scale old ReplicaSets down as far as availability allows, unhealthy pods first.
        min_available = replicas - unavailable
        new_unavailable = new_count - new_rs.get("status", {}).get("availableReplicas", 0)
        budget = total - min_available - new_unavailable
        if budget <= 0:
            return
        remaining = []
        for rs in active_olds:
            count = rs["spec"].get("replicas", 0)
            unhealthy = count - rs.get("status", {}).get("availableReplicas", 0)
            cut = min(budget, max(unhealthy, 0))
            if cut:
                rs = self._scale_rs(rs, deployment, count - cut)
                budget -= cut
            remaining.append(rs)
        available = new_rs.get("status", {}).get("availableReplicas", 0) + sum(
            rs.get("status", {}).get("availableReplicas", 0) for rs in remaining)
        can_cut = available - min_available
        for rs in remaining:
            if can_cut <= 0:
                break
            count = rs["spec"].get("replicas", 0)
            cut = min(count, can_cut)
            if cut:
                self._scale_rs(rs, deployment, count - cut)
                can_cut -= cut

    def _cleanup(self, deployment: dict[str, Any], olds: list[dict[str, Any]]) -> None:
        limit = deployment["spec"].get("revisionHistoryLimit", 10)
        idle = [rs for rs in olds if rs["spec"].get("replicas", 0) == 0
                and rs.get("status", {}).get("replicas", 0) == 0]
        for rs in idle[: max(len(idle) - limit, 0)]:
            self.store.delete("replicasets", rs["metadata"]["namespace"], rs["metadata"]["name"])

    # ---- Deployment status ---------------------------------------------------------------
    def _progressing(self, deployment: dict[str, Any], reason: str, message: str) -> None:
        self._set_condition(deployment, _condition("Progressing", "True", reason, message,
                                                   self.clock.now()))

    def _set_condition(self, deployment: dict[str, Any], cond: dict[str, Any]) -> None:
        current = self.store.get("deployments", deployment["metadata"]["namespace"],
                                 deployment["metadata"]["name"])
        if current is None:
            return
        obj = current.obj
        status = dict(obj.get("status", {}))
        conditions = [c for c in status.get("conditions", []) if c["type"] != cond["type"]]
        before = next((c for c in status.get("conditions", []) if c["type"] == cond["type"]),
                      None)
        if before and before["status"] == cond["status"]:
            cond["lastTransitionTime"] = before["lastTransitionTime"]
            if before["reason"] == cond["reason"] and before["message"] == cond["message"]:
                cond["lastUpdateTime"] = before["lastUpdateTime"]
        conditions.append(cond)
        conditions.sort(key=lambda c: ("Available", "Progressing").index(c["type"])
                        if c["type"] in ("Available", "Progressing") else 9)
        status["conditions"] = conditions
        self.store.replace("deployments", {**obj, "status": status})

    def _deployment_status(self, deployment: dict[str, Any]) -> None:
        current = self.store.get("deployments", deployment["metadata"]["namespace"],
                                 deployment["metadata"]["name"])
        if current is None:
            return
        deployment = current.obj
        spec, now = deployment["spec"], self.clock.now()
        rses = self.replicasets_of(deployment)
        new_rs = self.find_new_replicaset(deployment, rses)
        counts = {
            "replicas": sum(rs.get("status", {}).get("replicas", 0) for rs in rses),
            "updatedReplicas": new_rs.get("status", {}).get("replicas", 0) if new_rs else 0,
            "readyReplicas": sum(rs.get("status", {}).get("readyReplicas", 0) for rs in rses),
            "availableReplicas": sum(rs.get("status", {}).get("availableReplicas", 0)
                                     for rs in rses),
        }
        total_spec = sum(rs["spec"].get("replicas", 0) for rs in rses)
        counts["unavailableReplicas"] = max(total_spec - counts["availableReplicas"], 0)
        old_status = deployment.get("status", {})
        status = {k: v for k, v in counts.items() if v}
        status["observedGeneration"] = deployment["metadata"].get("generation", 1)
        status["conditions"] = [dict(c) for c in old_status.get("conditions", [])]
        if old_status.get("collisionCount"):
            status["collisionCount"] = old_status["collisionCount"]
        replicas = spec.get("replicas", 1)
        _, unavailable = surge_and_unavailable(deployment)
        available_ok = counts["availableReplicas"] >= replicas - unavailable
        conds = {c["type"]: c for c in status["conditions"]}
        self._merge(conds, _condition(
            "Available", "True" if available_ok else "False",
            "MinimumReplicasAvailable" if available_ok else "MinimumReplicasUnavailable",
            "Deployment has minimum availability." if available_ok
            else "Deployment does not have minimum availability.", now))
        name = new_rs["metadata"]["name"] if new_rs else deployment["metadata"]["name"]
        progress = conds.get("Progressing")
        moved = any(counts[k] != old_status.get(k, 0) for k in counts)
        complete = (new_rs is not None and counts["updatedReplicas"] == replicas
                    and counts["availableReplicas"] == replicas
                    and counts["replicas"] == replicas)
        if spec.get("paused"):
            self._merge(conds, _condition("Progressing", "Unknown", "DeploymentPaused",
                                          "Deployment is paused", now))
        elif progress and progress["reason"] == "DeploymentPaused":
            self._merge(conds, _condition("Progressing", "Unknown", "DeploymentResumed",
                                          "Deployment is resumed", now))
        elif (progress and progress["reason"] == "NewReplicaSetAvailable"
              and counts["replicas"] == counts["updatedReplicas"]):
            pass  # a finished rollout stays finished, whatever its pods do since
        elif complete:
            self._merge(conds, _condition("Progressing", "True", "NewReplicaSetAvailable",
                                          f'ReplicaSet "{name}" has successfully progressed.',
                                          now))
        elif moved or progress is None or progress["reason"] in ("NewReplicaSetAvailable",
                                                                  "DeploymentResumed"):
            cond = _condition("Progressing", "True", "ReplicaSetUpdated",
                              f'ReplicaSet "{name}" is progressing.', now)
            if progress and progress["reason"] == "NewReplicaSetCreated" and not moved:
                cond = progress
            self._merge(conds, cond, force_update=moved)
        elif progress["status"] == "True":
            deadline = self.clock.scaled(spec.get("progressDeadlineSeconds", 600))
            if now - parse_rfc3339(progress["lastUpdateTime"]) > deadline:
                self._merge(conds, _condition("Progressing", "False", "ProgressDeadlineExceeded",
                                              f'ReplicaSet "{name}" has timed out progressing.',
                                              now))
        status["conditions"] = [conds[k] for k in ("Available", "Progressing") if k in conds]
        if status != old_status:
            self.store.replace("deployments", {**deployment, "status": status})

    @staticmethod
    def _merge(conds: dict[str, dict[str, Any]], cond: dict[str, Any],
               force_update: bool = False) -> None:
        before = conds.get(cond["type"])
        if before and before["status"] == cond["status"]:
            cond["lastTransitionTime"] = before["lastTransitionTime"]
            same = before["reason"] == cond["reason"] and before["message"] == cond["message"]
            if same and not force_update:
                cond["lastUpdateTime"] = before["lastUpdateTime"]
        conds[cond["type"]] = cond

