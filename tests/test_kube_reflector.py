"""The reflector (tui.adapters.kube_reflector) against the drill cluster over real HTTP.

Every test drives real changes (scale, rollout, delete, faults, compaction) and checks the
reflected rows against a fresh list and against real kubectl.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Self

import pytest
from conftest import wait_for as shared_wait_for
from kubernetes import client

from tui.adapters.kube import (
    EVENTS,
    Kube,
    Reflector,
    ReflectorState,
    ReflectorStatus,
    Snapshot,
)
from tui.domain.pods import PodHealth, PodRow
from tui.domain.rollout import ReplicaSetInfo, judge

NS, DEPLOY = "production", "checkout"


def wait_for(what: str, check: Callable[[], Any], timeout: float = 20.0) -> Any:
    """The shared polling helper with this file's timeout."""
    return shared_wait_for(what, check, timeout, 0.05)


class Follow:
    """A reflector running in its own thread, recording every snapshot and status."""

    def __init__(self, make: Callable[..., Reflector[Any]], *args: Any, **kwargs: Any) -> None:
        self.snapshots: list[Snapshot[Any]] = []
        self.statuses: list[ReflectorStatus] = []
        self.reflector = make(*args, on_change=self.snapshots.append,
                              on_status=self.statuses.append, **kwargs)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.reflector.run, args=(self.stop,), daemon=True)

    @property
    def rows(self) -> dict[str, Any]:
        """The rows of the latest snapshot."""
        return dict(self.snapshots[-1].rows) if self.snapshots else {}

    def names(self, *, live: bool = False) -> set[str]:
        """Pod names in the latest snapshot (live: not terminating)."""
        return {r.name for r in self.rows.values()
                if not live or r.health is not PodHealth.TERMINATING}

    def messages(self) -> list[str]:
        """Every status message so far."""
        return [s.message for s in self.statuses]

    def __enter__(self) -> Self:
        self.thread.start()
        wait_for("the first snapshot", lambda: self.snapshots)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=2)
        assert not self.thread.is_alive()


@pytest.fixture
def bad_release(drill) -> Iterator[tuple[Any, Any, Kube]]:
    """bad-release and a Kube connected through its kubeconfig."""
    cluster, info = drill("bad-release", speed=20)
    with Kube.connect(info.kubeconfig) as kube:
        yield cluster, info, kube


def core(kube: Kube) -> client.CoreV1Api:
    """The official client on the same connection, for making changes."""
    return client.CoreV1Api(kube.api_client)


def listed(kube: Kube) -> dict[str, str]:
    """uid → resourceVersion of the Deployment's pods, listed fresh."""
    return {p["metadata"]["uid"]: p["metadata"]["resourceVersion"]
            for p in kube.list_pods(DEPLOY).items}


def in_step(follow: Follow, kube: Kube) -> bool:
    """The reflected rows are exactly the live pods, each at its current resourceVersion."""
    return {uid: row.resource_version for uid, row in follow.rows.items()} == listed(kube)


def kubectl_pods(kubectl, info) -> set[str]:
    """Pod names real kubectl lists for the Deployment's selector."""
    result = kubectl(info, "get", "pods", "-n", NS, "-l", "app=checkout", "-o", "name")
    assert result.returncode == 0, result.stderr
    return {line.removeprefix("pod/") for line in result.stdout.split()}


# ---- following changes -----------------------------------------------------------------------

def test_lists_then_follows_scale_up_and_down(bad_release, kubectl) -> None:
    _, info, kube = bad_release
    with Follow(kube.pod_reflector, DEPLOY, coalesce=0.05) as follow:
        first = follow.snapshots[0]
        assert first.relisted and len(first.rows) == 3 and first.added == set(first.rows)
        assert all(isinstance(r, PodRow) for r in first.rows.values())
        assert first.resource_version.isdigit()
        kube.scale(DEPLOY, 6)
        wait_for("six pods", lambda: len(follow.names(live=True)) == 6)
        assert sum(len(s.added) for s in follow.snapshots[1:]) >= 3
        kube.scale(DEPLOY, 2)
        wait_for("two pods, the rest gone", lambda: len(follow.rows) == 2
                 and in_step(follow, kube))
        assert sum(len(s.removed) for s in follow.snapshots) >= 4
        wait_for("kubectl to agree", lambda: follow.names() == kubectl_pods(kubectl, info))
    assert any(s.state is ReflectorState.WATCHING and s.count == 3 for s in follow.statuses)
    assert follow.statuses[-1].state is ReflectorState.STOPPED


def test_a_rollout_replaces_every_pod(drill, kubectl) -> None:
    _, info = drill("bad-release", speed=20)
    with Kube.connect(info.kubeconfig) as kube, \
            Follow(kube.pod_reflector, DEPLOY, coalesce=0.05) as follow:
        before = dict(follow.rows)
        assert {r.version for r in before.values()} == {"2.4.0"}
        kube.rollout_undo(DEPLOY)
        wait_for("every pod replaced by one of 2.3.1", lambda: set(follow.rows).isdisjoint(before)
                 and {r.version for r in follow.rows.values()} == {"2.3.1"}
                 and in_step(follow, kube), timeout=30)
        removed = set().union(*(s.removed for s in follow.snapshots))
        added = set().union(*(s.added for s in follow.snapshots[1:]))
        assert set(before) <= removed and set(follow.rows) <= added
        assert len({r.pod_template_hash for r in follow.rows.values()}) == 1
        assert follow.names() == kubectl_pods(kubectl, info)


def test_a_deleted_pod_is_reported_removed_and_its_replacement_added(bad_release) -> None:
    _, _, kube = bad_release
    with Follow(kube.pod_reflector, DEPLOY, coalesce=0.05) as follow:
        victim = min(follow.rows.values(), key=lambda r: r.name)
        core(kube).delete_namespaced_pod(victim.name, NS)
        wait_for("the victim terminating", lambda: any(
            victim.uid in s.changed and s.rows[victim.uid].health is PodHealth.TERMINATING
            for s in follow.snapshots))
        wait_for("the victim removed", lambda: any(victim.uid in s.removed
                                                   for s in follow.snapshots))
        wait_for("a replacement", lambda: len(follow.names(live=True)) == 3
                 and victim.uid not in follow.rows)
        for snapshot in follow.snapshots[1:]:
            assert not snapshot.relisted
            assert not (snapshot.added & snapshot.removed)


def test_coalesces_bursts(bad_release) -> None:
    _, _, kube = bad_release
    stamps: list[float] = []
    stop = threading.Event()
    reflector = kube.pod_reflector(DEPLOY, lambda s: stamps.append(time.monotonic()),
                                   coalesce=0.5)
    thread = threading.Thread(target=reflector.run, args=(stop,), daemon=True)
    thread.start()
    wait_for("a snapshot", lambda: stamps)
    for name in sorted(p["metadata"]["name"] for p in kube.list_pods(DEPLOY).items):
        core(kube).delete_namespaced_pod(name, NS)
    time.sleep(3)
    stop.set()
    thread.join(timeout=2)
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert len(stamps) >= 2 and min(gaps) >= 0.45, gaps
    assert reflector.events >= 6  # three deletions and three replacements at least


def test_stop_returns_promptly_even_mid_watch(bad_release) -> None:
    _, _, kube = bad_release
    follow = Follow(kube.pod_reflector, DEPLOY)
    with follow:
        time.sleep(0.3)
        started = time.monotonic()
        follow.stop.set()
        follow.thread.join(timeout=1.0)
        assert not follow.thread.is_alive()
        assert time.monotonic() - started < 1.0


# ---- failures --------------------------------------------------------------------------------

def test_relists_after_410_and_keeps_rows_consistent(bad_release) -> None:
    cluster, _, kube = bad_release
    with Follow(kube.pod_reflector, DEPLOY, coalesce=0.05) as follow:
        wait_for("three pods", lambda: in_step(follow, kube))
        # Hold the watcher off, change things, and forget the history it would resume from.
        cluster.faults.apply("deny=watch:pods")
        cluster.faults.apply("drop-watches=0.2s")
        wait_for("the watch refused", lambda: any("forbidden" in m for m in follow.messages()))
        victim = min(follow.names())
        core(kube).delete_namespaced_pod(victim, NS)
        kube.scale(DEPLOY, 4)
        wait_for("the cluster to settle", lambda: len(listed(kube)) == 4
                 and all(p not in listed(kube) for p in [victim]))
        cluster.store.compact()
        cluster.faults.clear()
        wait_for("a re-list after 410", lambda: any("410" in m for m in follow.messages()))
        wait_for("rows matching the cluster", lambda: in_step(follow, kube))
        relist = next(s for s in follow.snapshots[1:] if s.relisted)
        assert relist.removed or relist.added or relist.changed
        assert victim not in follow.names()
    retrying = [s for s in follow.statuses if s.state is ReflectorState.RETRYING]
    assert retrying and all(s.retry_in and s.stale_since and s.error for s in retrying)
    assert "retrying in" in retrying[0].message and "stale since" in retrying[0].message
    assert "forbidden: cannot watch pods" in retrying[0].message


def test_dropped_watches_and_server_errors_recover_with_backoff(drill, kubectl) -> None:
    cluster, info = drill("bad-release", speed=20, faults=["drop-watches=0.5s"])
    with Kube.connect(info.kubeconfig) as kube, \
            Follow(kube.pod_reflector, DEPLOY, coalesce=0.05) as follow:
        time.sleep(1.2)  # at least two streams dropped and resumed
        kube.scale(DEPLOY, 5)
        wait_for("five pods across dropped streams", lambda: in_step(follow, kube)
                 and len(follow.rows) == 5)
        assert follow.reflector.relists == 1  # a dropped stream resumes; it does not re-list
        cluster.faults.apply("error-rate=1.0")
        wait_for("a retry status", lambda: any(s.state is ReflectorState.RETRYING
                                               for s in follow.statuses))
        time.sleep(2.0)
        retries = [s for s in follow.statuses if s.state is ReflectorState.RETRYING]
        delays = [s.retry_in for s in retries]
        assert len(delays) >= 2 and delays[-1] > delays[0], delays  # backing off
        assert "server error 500" in retries[0].message
        cluster.faults.clear()
        kube.scale(DEPLOY, 3)
        wait_for("back in step", lambda: in_step(follow, kube) and len(follow.rows) == 3,
                 timeout=30)
        assert follow.statuses[-1].state is ReflectorState.WATCHING
        assert follow.statuses[-1].stale_since is None
        wait_for("kubectl to agree", lambda: follow.names() == kubectl_pods(kubectl, info))


def test_a_missing_deployment_is_a_status_not_an_exception(bad_release) -> None:
    _, _, kube = bad_release
    follow = Follow(kube.pod_reflector, "no-such-deployment")
    follow.thread.start()
    try:
        wait_for("a retry status", lambda: follow.statuses)
        status = follow.statuses[0]
        assert status.state is ReflectorState.RETRYING and status.error is not None
        assert status.error.status == 404
        assert 'deployments.apps "no-such-deployment"' in status.message
        assert "check the name" in status.message
        assert not follow.snapshots
    finally:
        follow.stop.set()
        follow.thread.join(timeout=2)
    assert not follow.thread.is_alive()


# ---- other resources and the rollout view --------------------------------------------------

def test_stuck_rollout_judged_with_old_replicasets_draining(drill) -> None:
    _, info = drill("stuck-rollout", speed=20)
    with Kube.connect(info.kubeconfig) as kube, \
            Follow(kube.deployment_reflector, DEPLOY, coalesce=0.05) as deployment, \
            Follow(kube.replicaset_reflector, DEPLOY, coalesce=0.05) as replicasets:

        def progress() -> Any:
            (obj,) = deployment.rows.values()
            return judge(obj, replicasets.rows.values())

        stuck = wait_for("ProgressDeadlineExceeded", lambda: progress().stuck and progress())
        assert stuck.message == 'deployment "checkout" exceeded its progress deadline'
        assert stuck.progressing_reason == "ProgressDeadlineExceeded"
        assert stuck.name == DEPLOY and stuck.namespace == NS and not stuck.done
        new, (old,) = stuck.new_replicaset, stuck.old_replicasets
        assert isinstance(new, ReplicaSetInfo) and isinstance(old, ReplicaSetInfo)
        assert (new.revision, new.version) == (2, "2.5.0") and new.ready == 0
        assert (old.revision, old.version) == (1, "2.4.1") and old.replicas >= 2
        assert old.images == ("registry.drill.local/checkout:2.4.1",)
        assert stuck.old_pending == old.replicas
        kube.rollout_undo(DEPLOY)
        done = wait_for("the undo rolled out", lambda: progress().done and progress(),
                        timeout=30)
        assert done.old_replicasets == () and done.new_replicaset.version == "2.4.1"
        assert done.message == 'deployment "checkout" successfully rolled out'


def test_events_reflector_with_a_custom_transform(bad_release) -> None:
    _, _, kube = bad_release

    def reason(obj: dict[str, Any]) -> str:
        return f"{obj.get('reason')}:{(obj.get('involvedObject') or {}).get('name')}"

    with Follow(kube.reflector, EVENTS, reason, what="events") as follow:
        kube.scale(DEPLOY, 4)
        wait_for("a ScalingReplicaSet event", lambda: any(
            v.startswith("ScalingReplicaSet:checkout") for v in follow.rows.values()))


# ---- connecting without the generated client ---------------------------------------------

def test_connect_loads_no_generated_api_or_models(bad_release) -> None:
    _, info, _ = bad_release
    probe = ("import sys, json\nfrom tui.adapters.kube import Kube\n"
             f"k = Kube.connect({info.kubeconfig!r})\nk.server_version()\n"
             "print(json.dumps(sorted(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, timeout=60)
    modules = set(json.loads(result.stdout))
    assert not {m for m in modules if m.startswith(("kubernetes.client.api.",
                                                    "kubernetes.client.models."))}


def test_the_next_page_token_is_read_from_the_bytes_before_the_items() -> None:
    from tui.adapters.kube_base import continue_token

    page = b'{"kind":"PodList","metadata":{"resourceVersion":"5","continue":"eyJ9="},"items":[]}'
    assert continue_token(page) == "eyJ9="
    last = b'{"kind":"PodList","metadata":{"resourceVersion":"5"},"items":[{"continue":"x"}]}'
    assert continue_token(last) == ""  # a "continue" inside an item is not the list's
    # Items before metadata: unknown, so the caller parses the page to find the token.
    assert continue_token(b'{"items":[],"metadata":{"continue":"x"}}') is None
