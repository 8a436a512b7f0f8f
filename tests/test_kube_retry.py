"""Transient API errors against the drill's injected faults: idempotent reads and access
reviews retried on 5xx, a write that hit 409 re-read and re-applied, each retry reported."""

from __future__ import annotations

import threading
import time

import pytest

from tui.adapters import kube_retry
from tui.adapters.kube import Kube
from tui.adapters.kube_retry import retry_scope
from tui.adapters.kube_types import KubeError
from tui.domain.actions import Permission


def test_delay_backs_off_with_jitter_and_honours_retry_after() -> None:
    firsts = {kube_retry.delay(1) for _ in range(50)}
    assert all(0.1 <= d <= 0.2 for d in firsts) and len(firsts) > 1  # jittered
    assert all(2.5 <= kube_retry.delay(6) <= 5.0 for _ in range(20))  # capped
    assert kube_retry.delay(1, "3") == 3.0
    assert kube_retry.delay(1, "Wed, 21 Oct 2026 07:28:00 GMT") <= 0.2  # not a number of s
    assert kube_retry.delay(1, "nan") <= 0.2 and kube_retry.delay(1, "86400") <= 0.2


def test_reads_and_access_reviews_survive_injected_500s(drill) -> None:
    _cluster, info = drill("bad-release", faults=["error-rate=0.3"])
    reports: list[dict] = []
    with Kube.connect(info.kubeconfig) as kube, retry_scope(threading.Event(), reports.append):
        checks = kube.can_i([Permission("patch", "deployments", "apps")] * 8,
                            namespace="production")
        for _ in range(8):
            assert kube.get_deployment("checkout", "production")["metadata"]["name"] == "checkout"
    assert len(checks) == 8 and all(c.allowed for c in checks)
    reviews = [r for r in reports if r["resource"].startswith("selfsubjectaccessreviews")]
    assert reviews and {r["status"] for r in reports} == {500}
    assert all(r["attempt"] >= 2 and r["wait_seconds"] > 0 for r in reports)


def test_a_write_that_hit_409_is_read_again_and_reapplied(drill) -> None:
    _cluster, info = drill("bad-release", faults=["conflict-next-write"])
    reports: list[dict] = []
    with Kube.connect(info.kubeconfig) as kube, retry_scope(threading.Event(), reports.append):
        result = kube.rollout_undo("checkout", namespace="production")
        assert result.changed and result.to_revision == 2
        assert kube.get_deployment("checkout", "production")["spec"]["template"]["spec"][
            "containers"][0]["image"].endswith(":2.3.1")
    assert [(r["status"], r["reason"], r["resource"]) for r in reports] == [
        (409, "Conflict", "deployments.apps")]


def test_a_stopped_step_stops_retrying(drill) -> None:
    _cluster, info = drill("bad-release", faults=["error-rate=1"])
    stop = threading.Event()
    stop.set()
    reports: list[dict] = []
    started = time.monotonic()
    with (Kube.connect(info.kubeconfig) as kube, retry_scope(stop, reports.append),
          pytest.raises(KubeError) as failed):
        kube.get_deployment("checkout", "production")
    assert failed.value.status == 500 and len(reports) == 1
    assert time.monotonic() - started < 2

