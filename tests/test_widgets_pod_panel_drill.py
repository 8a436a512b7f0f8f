"""The pod panel fed by a real watch: the drill's scale-5000 Deployment rolled back with real
kubectl while the panel follows, then its counts checked against `kubectl get pods`."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest
from conftest import wait_for
from textual.app import App, ComposeResult

from tui.adapters.kube import Kube, Snapshot
from tui.domain.pods import PodRow
from tui.domain.rollout import ReplicaSetInfo
from widgets.pod_panel import PodPanel

NS, DEPLOY = "production", "fleet"


class FeedApp(App[None]):
    """A pod panel fed by the pod and ReplicaSet reflectors, as the execution screen feeds it."""

    def __init__(self, kube: Kube) -> None:
        """Follow the fleet Deployment on this connection."""
        super().__init__()
        self.kube = kube
        self.stop = threading.Event()
        self.snapshots = 0
        self.history: list[tuple[int, int, int]] = []  # (ready, total, hashes with pods)
        self.threads: list[threading.Thread] = []

    def compose(self) -> ComposeResult:
        """The panel alone."""
        yield PodPanel()

    def on_mount(self) -> None:
        """Start both reflectors in threads; their snapshots reach the panel on the loop."""
        panel = self.query_one(PodPanel)

        def pods(snapshot: Snapshot[PodRow]) -> None:
            self.call_from_thread(self._apply, snapshot)

        def replicasets(snapshot: Snapshot[ReplicaSetInfo]) -> None:
            self.call_from_thread(panel.set_replicasets, list(snapshot.rows.values()))

        for reflector in (self.kube.pod_reflector(DEPLOY, pods, on_status=self._status),
                          self.kube.replicaset_reflector(DEPLOY, replicasets)):
            thread = threading.Thread(target=reflector.run, args=(self.stop,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _status(self, status: Any) -> None:
        if not self.stop.is_set():
            self.call_from_thread(self.query_one(PodPanel).set_status, status)

    def _apply(self, snapshot: Snapshot[PodRow]) -> None:
        panel = self.query_one(PodPanel)
        panel.apply(snapshot)
        self.snapshots += 1
        counts = panel.counts
        self.history.append((counts.ready, counts.total, len(+counts.by_hash)))

    def halt(self) -> None:
        """Stop the reflectors."""
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=3)


def kubectl_pods(kubectl, info) -> list[tuple[str, str, str]]:
    """(name, READY, STATUS) of every fleet pod as real kubectl prints them."""
    result = kubectl(info, "get", "pods", "-n", NS, "-l", "app=fleet", "--no-headers",
                     timeout=120)
    assert result.returncode == 0, result.stderr
    return [tuple(line.split()[:3]) for line in result.stdout.splitlines()]


def panel_pods(panel: PodPanel) -> list[tuple[str, str, str]]:
    """The same three columns from the panel's rows."""
    return [(r.name, r.ready_text, r.status) for r in panel.order.rows.values()]


@pytest.mark.slow
async def test_counts_match_kubectl_after_a_rollback_of_5000_pods(drill, kubectl) -> None:
    cluster, info = drill("scale-5000", speed=20)
    with Kube.connect(info.kubeconfig) as kube:
        app = FeedApp(kube)
        async with app.run_test(size=(120, 40)) as pilot:
            panel = app.query_one(PodPanel)
            try:
                await wait_until(pilot, "the first list", lambda: panel.counts.total == 5000)
                assert "✓ 5000/5000 ready" in panel.border_title
                assert "rev 2 (1.1.0) 5000" in panel.border_title
                result = kubectl(info, "rollout", "undo", f"deployment/{DEPLOY}", "-n", NS)
                assert result.returncode == 0, result.stderr
                # The operator works the panel while pods come and go: sorted by STATUS, the
                # pods that are not ready yet come first.
                await pilot.press("pagedown", "pagedown", "s", "s", "u")
                assert panel.order.sort.value == "status"

                def rolled_back() -> bool:
                    return (panel.counts.by_hash.most_common(1)[0][1] == 5000
                            and panel.counts.ready == panel.counts.total == 5000
                            and "rev 3 (1.0.0) 5000" in panel.border_title)

                await wait_until(pilot, "the rollback to settle", rolled_back, timeout=240)
                # The panel followed the rollout as it went: both revisions at once, pods
                # not ready, more than 5,000 pods while old ones terminated.
                assert any(hashes == 2 for _, _, hashes in app.history)
                assert any(ready < total for ready, total, _ in app.history)
                assert max(total for _, total, _ in app.history) > 5000
                # The pods the old revision leaves may still be terminating: kubectl counts
                # them in READY, the panel does not count them ready. Compare once it has settled.
                listed: list[tuple[str, str, str]] = []

                def settled() -> bool:
                    nonlocal listed
                    if panel.counts.by_status.get("Terminating"):
                        return False
                    listed = kubectl_pods(kubectl, info)
                    return sorted(panel_pods(panel)) == sorted(listed)

                await wait_until(pilot, "the panel to agree with kubectl", settled, timeout=120)
                shown = panel_pods(panel)
                assert sorted(shown) == sorted(listed)
                ready = sum(1 for _, r, _ in listed if r.split("/")[0] == r.split("/")[1])
                assert f"{ready}/{len(listed)} ready" in panel.border_title
                assert Counter(s for _, _, s in listed) == +panel.counts.by_status
                assert app.snapshots > 3 and cluster is not None
                assert panel.cursor_row is not None
                assert panel.cursor_uid in panel.order.rows
            finally:
                app.halt()


async def wait_until(pilot, what: str, check, timeout: float = 60.0) -> None:
    """Let the app run until check() holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            wait_for(what, check, timeout=0.01)  # fails with the shared message
        await pilot.pause(0.1)
