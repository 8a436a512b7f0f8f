"""Rollout judging (tui.domain.rollout): kubectl's wording, freshness, stuck rollouts and the
ReplicaSets of a rollout in progress."""

from __future__ import annotations

from typing import Any

from tui.adapters.kube import judge as adapter_judge
from tui.adapters.kube_types import RolloutProgress as AdapterProgress
from tui.domain.rollout import (
    ReplicaSetInfo,
    RolloutProgress,
    judge,
    missing,
    replicaset_info,
    revisions_by_hash,
)

UID = "dep-uid"


def deployment(generation: int = 5, observed: int = 5, *, replicas: int = 3, revision: int = 3,
               paused: bool = False, reason: str = "ReplicaSetUpdated",
               **status: int) -> dict[str, Any]:
    """A Deployment object with the given status counts."""
    return {"metadata": {"name": "checkout", "namespace": "production", "uid": UID,
                         "generation": generation,
                         "annotations": {"deployment.kubernetes.io/revision": str(revision)}},
            "spec": {"replicas": replicas, "paused": paused},
            "status": {"observedGeneration": observed,
                       "conditions": [{"type": "Available", "status": "True"},
                                      {"type": "Progressing", "status": "True",
                                       "reason": reason, "message": f"says {reason}"}],
                       **{k: v for k, v in status.items()}}}


def replicaset(revision: int, image: str, replicas: int, ready: int, owner: str = UID
               ) -> dict[str, Any]:
    """A ReplicaSet owned by the Deployment."""
    return {"metadata": {"name": f"checkout-h{revision}", "uid": f"rs-{revision}",
                         "annotations": {"deployment.kubernetes.io/revision": str(revision)},
                         "ownerReferences": [{"kind": "Deployment", "uid": owner,
                                              "controller": True}]},
            "spec": {"replicas": replicas,
                     "template": {"metadata": {"labels": {"app": "checkout",
                                                          "pod-template-hash": f"h{revision}"}},
                                  "spec": {"containers": [{"image": image}]}}},
            "status": {"replicas": replicas, "readyReplicas": ready, "availableReplicas": ready}}


def test_the_adapter_names_still_work() -> None:
    assert adapter_judge is judge and AdapterProgress is RolloutProgress


def test_kubectl_messages_in_order() -> None:
    rolling = deployment(replicas=3, updatedReplicas=1)
    assert judge(rolling).message == ('Waiting for deployment "checkout" rollout to finish: '
                                      "1 out of 3 new replicas have been updated...")
    draining = deployment(updatedReplicas=3, replicas=3, readyReplicas=3, availableReplicas=3)
    draining["status"]["replicas"] = 4
    assert judge(draining).message.endswith("1 old replicas are pending termination...")
    unavailable = deployment(updatedReplicas=3, readyReplicas=3, availableReplicas=2)
    unavailable["status"]["replicas"] = 3
    assert judge(unavailable).message.endswith("2 of 3 updated replicas are available...")
    done = deployment(updatedReplicas=3, readyReplicas=3, availableReplicas=3)
    done["status"]["replicas"] = 3
    progress = judge(done)
    assert progress.done and progress.message == 'deployment "checkout" successfully rolled out'
    assert (progress.desired, progress.replicas, progress.total) == (3, 3, 3)
    assert (progress.name, progress.namespace) == ("checkout", "production")


def test_freshness_by_generation_and_min_generation() -> None:
    stale = deployment(generation=6, observed=5, updatedReplicas=3, readyReplicas=3,
                       availableReplicas=3)
    stale["status"]["replicas"] = 3
    progress = judge(stale)
    assert not progress.fresh and not progress.done
    assert progress.message == "Waiting for deployment spec update to be observed..."
    assert "has not observed the change yet" in missing(progress)
    fresh = deployment(updatedReplicas=3, readyReplicas=3, availableReplicas=3)
    fresh["status"]["replicas"] = 3
    assert judge(fresh).done and not judge(fresh, min_generation=6).done


def test_stuck_only_on_fresh_status() -> None:
    stuck = deployment(reason="ProgressDeadlineExceeded", updatedReplicas=1, readyReplicas=3,
                       availableReplicas=3)
    stuck["status"]["replicas"] = 4
    progress = judge(stuck)
    assert progress.stuck and not progress.done
    assert progress.message == 'deployment "checkout" exceeded its progress deadline'
    assert progress.progressing_reason == "ProgressDeadlineExceeded"
    assert progress.progressing_message == "says ProgressDeadlineExceeded"
    # The same condition from before an undo (min_generation not yet observed) is no verdict.
    assert not judge(stuck, min_generation=6).stuck


def test_paused_rollout_says_so() -> None:
    paused = deployment(paused=True, updatedReplicas=1)
    progress = judge(paused)
    assert progress.paused and progress.message.endswith("will not progress until resumed)")


def test_new_and_draining_replicasets() -> None:
    state = deployment(revision=3, updatedReplicas=1, readyReplicas=2, availableReplicas=2)
    state["status"]["replicas"] = 4
    sets = [replicaset(1, "checkout:2.2.0", 0, 0), replicaset(2, "checkout:2.3.1", 2, 2),
            replicaset(3, "checkout:2.4.0", 1, 0), replicaset(9, "other:1", 5, 5, owner="x")]
    progress = judge(state, sets)
    assert progress.new_replicaset is not None
    assert (progress.new_replicaset.name, progress.new_replicaset.version) == ("checkout-h3",
                                                                               "2.4.0")
    (old,) = progress.old_replicasets  # revision 1 has no pods; revision 9 is not ours
    assert (old.revision, old.version, old.replicas, old.ready) == (2, "2.3.1", 2, 2)
    assert old.images == ("checkout:2.3.1",) and old.pod_template_hash == "h2"
    assert "old replicas still running: checkout-h2 (revision 2, 2 pods)" in missing(progress)
    infos = [replicaset_info(rs) for rs in sets]
    assert judge(state, infos) == progress  # rows from the reflector work the same
    assert revisions_by_hash(infos) == {"h1": 1, "h2": 2, "h3": 3, "h9": 9}


def test_new_replicaset_falls_back_to_the_highest_revision() -> None:
    state = deployment()
    del state["metadata"]["annotations"]
    progress = judge(state, [replicaset(4, "a:4", 3, 3), replicaset(7, "a:7", 0, 0)])
    assert progress.new_replicaset is not None and progress.new_replicaset.revision == 7
    assert [rs.revision for rs in progress.old_replicasets] == [4]


def test_hostile_replicaset_and_deployment_values() -> None:
    info = replicaset_info({"metadata": {"annotations": {
        "deployment.kubernetes.io/revision": "x"}, "ownerReferences": [None]},
        "spec": {"replicas": "3", "template": "nope"}, "status": []})
    assert isinstance(info, ReplicaSetInfo) and info.revision is None
    assert (info.desired, info.replicas, info.images) == (3, 0, ())
    progress = judge({"metadata": "x", "spec": None, "status": {"replicas": True}})
    assert progress.desired == 1 and progress.total == 0 and not progress.done
