"""The gitops drill: checkout synced by a simulated Argo CD with auto-sync and self-heal.

Real HTTP against the drill at speed 20 (the 30 s sync delay is 1.5 s), the official client
through the product's Kube adapter, real kubectl, and the real `rollback` command headless.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import wait_for
from test_run_headless import (
    explain,
    finished,
    image,
    revisions,
    rollback_run,
    the_incident,
)

from tui.adapters.kube import Kube
from tui.drill.scenario import ScenarioError, find_scenario, load_scenario_bytes

SPEED = 20
SYNC_DELAY = 30 / SPEED  # real seconds
GOOD, BAD = "2.3.1", "2.4.0"


def app_state(info: Any) -> dict[str, Any]:
    response = httpx.get(info.extra["params"]["gitops_app_url"], timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def post(info: Any, action: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{info.extra['params']['gitops_app_url']}/{action}", json=body, timeout=5)


def served(info: Any) -> str | None:
    response = httpx.get(info.extra["params"]["version_url"], timeout=5)
    return response.json().get("version") if response.status_code == 200 else None


def rolled_out_at(kubectl: Any, info: Any, version: str) -> bool:
    """The Deployment runs `version` and its rollout has finished."""
    if not image(kubectl, info).endswith(f":{version}"):
        return False
    status = kubectl(info, "rollout", "status", "deployment/checkout", "--timeout=1s")
    return status.returncode == 0 and served(info) == version


def stays(kubectl: Any, info: Any, version: str, seconds: float) -> None:
    """The Deployment keeps `version` for `seconds` (several sync delays)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert image(kubectl, info).endswith(f":{version}")
        time.sleep(0.2)


@pytest.fixture
def gitops(drill):
    return drill("gitops", speed=SPEED)


# ---- the scenario ----------------------------------------------------------------------------
def test_scenario_declares_the_application_and_its_truth() -> None:
    scenario = find_scenario("gitops")
    assert scenario.data["gitops"][0]["application"] == "checkout"
    truth = scenario.data["truth"]
    assert truth["decision"] == "ROLLBACK" and truth["strategy"] == "revert-deployment"
    assert truth["targets"] == [{"namespace": "production", "deployment": "checkout",
                                 "revision": 2, "version": GOOD}]
    assert scenario.data["runbook"] == "gitops-revert"


def test_an_application_for_an_unknown_deployment_is_refused(tmp_path: Path) -> None:
    text = find_scenario("gitops").path.read_text().replace(  # type: ignore[union-attr]
        "    deployment: checkout\n    repo:", "    deployment: chekout\n    repo:")
    with pytest.raises(ScenarioError, match=r"gitops\.yaml:37:17: .*'chekout'"):
        load_scenario_bytes(text.encode(), "gitops.yaml")


# ---- the guard -------------------------------------------------------------------------------
def test_the_product_detects_argo_cd(gitops) -> None:
    _cluster, info = gitops
    with Kube.connect(info.kubeconfig) as kube:
        manager = kube.gitops_manager("checkout", namespace="production")
    assert manager is not None
    assert (manager.tool, manager.app) == ("argocd", "checkout")
    assert "argocd.argoproj.io/tracking-id=checkout:apps/Deployment:production/checkout" \
        in manager.evidence
    assert manager.suspend == "argocd app set checkout --sync-policy none"


def test_the_application_starts_synced_at_the_bad_release(gitops) -> None:
    _cluster, info = gitops
    state = app_state(info)
    assert state["sync"]["status"] == "Synced"
    assert state["desired"]["version"] == BAD and state["live"]["version"] == BAD
    assert state["sync_policy"] == {"automated": True, "self_heal": True,
                                    "sync_delay_seconds": 30.0}
    assert [c["version"] for c in state["history"]] == [BAD, GOOD, "2.2.0"]
    assert state["history"][0]["message"].startswith("deploy checkout 2.4.0")


# ---- playing it wrong ------------------------------------------------------------------------
def test_kubectl_rollout_undo_is_reverted_by_self_heal(gitops, kubectl) -> None:
    _cluster, info = gitops
    undo = kubectl(info, "rollout", "undo", "deployment/checkout")
    assert undo.returncode == 0, undo.stderr
    assert image(kubectl, info).endswith(f":{GOOD}")
    assert app_state(info)["sync"]["status"] == "OutOfSync"

    started = time.monotonic()
    wait_for("self-heal to re-apply 2.4.0",
             lambda: image(kubectl, info).endswith(f":{BAD}"), timeout=SYNC_DELAY + 5)
    # Not before the sync delay (give the poll its 0.2 s), and soon after it.
    assert time.monotonic() - started >= SYNC_DELAY - 0.3
    state = app_state(info)
    assert state["operation"]["initiated_by"] == "automated (self-heal)"
    events = kubectl(info, "get", "events", "--field-selector",
                     "involvedObject.kind=Deployment,involvedObject.name=checkout", "-o", "json")
    reasons = {(e["reason"], e["source"]["component"])
               for e in json.loads(events.stdout)["items"]}
    assert ("OperationStarted", "argocd-application-controller") in reasons
    assert revisions(kubectl, info) == [1, 4, 5]  # the undo made 4, self-heal re-used 3 as 5
    wait_for("2.4.0 served again", lambda: rolled_out_at(kubectl, info, BAD), timeout=30)


def test_the_revert_deployment_runbook_is_undone_and_warned_about(gitops, kubectl) -> None:
    _cluster, info = gitops
    result = rollback_run(info, "revert-deployment", "--reason", "2.4.0 fails")
    assert "WARNING: checkout is managed by argocd (checkout)" in result.stdout, explain(result)
    assert "argocd app set checkout --sync-policy none" in result.stdout
    # Whatever the run's verdict, Git wins: checkout ends on the bad release again.
    wait_for("self-heal to bring 2.4.0 back", lambda: rolled_out_at(kubectl, info, BAD),
             timeout=30)
    stays(kubectl, info, BAD, 3 * SYNC_DELAY)


# ---- playing it right ------------------------------------------------------------------------
def test_a_revert_in_git_rolls_out_and_stays(gitops, kubectl) -> None:
    _cluster, info = gitops
    response = post(info, "revert", {"version": BAD, "author": "oncall"})
    assert response.status_code == 201, response.text
    commit = response.json()["commit"]
    assert commit["version"] == GOOD and commit["message"].startswith('Revert "deploy checkout')
    assert app_state(info)["desired"]["version"] == GOOD

    wait_for("auto-sync to roll out 2.3.1", lambda: rolled_out_at(kubectl, info, GOOD),
             timeout=30)
    state = app_state(info)
    assert state["sync"] == {"status": "Synced", "revision": commit["sha"]}
    assert state["operation"]["initiated_by"] == "automated"
    stays(kubectl, info, GOOD, 3 * SYNC_DELAY)

    again = post(info, "revert", {"version": BAD})
    assert again.status_code == 200 and again.json()["reverted"] is False, again.text
    assert len(app_state(info)["history"]) == 4


def test_a_manual_sync_applies_git_at_once(gitops, kubectl) -> None:
    _cluster, info = gitops
    assert post(info, "sync-policy", {"automated": False}).status_code == 200
    assert post(info, "revert", {}).status_code == 201  # the head commit: 2.4.0
    time.sleep(2 * SYNC_DELAY)
    assert image(kubectl, info).endswith(f":{BAD}")  # suspended: Git alone changes nothing
    response = post(info, "sync", {})
    assert response.status_code == 200 and response.json()["changed"] is True
    assert image(kubectl, info).endswith(f":{GOOD}")


def test_suspending_auto_sync_keeps_a_kubectl_undo(gitops, kubectl) -> None:
    _cluster, info = gitops
    response = post(info, "sync-policy", {"automated": False})
    assert response.status_code == 200, response.text
    assert response.json()["sync_policy"]["self_heal"] is False
    assert kubectl(info, "rollout", "undo", "deployment/checkout").returncode == 0
    stays(kubectl, info, GOOD, 3 * SYNC_DELAY)
    assert app_state(info)["sync"]["status"] == "OutOfSync"

    assert post(info, "sync-policy", {"automated": True, "self_heal": True}).status_code == 200
    wait_for("self-heal once resumed", lambda: image(kubectl, info).endswith(f":{BAD}"),
             timeout=SYNC_DELAY + 5)


@pytest.mark.parametrize(("method", "path", "body", "status", "says"), [
    ("POST", "/sync-policy", {"automated": "no"}, 400, "true or false"),
    ("POST", "/sync-policy", {"paused": True}, 400, "automated and self_heal"),
    ("POST", "/revert", {"version": "9.9.9"}, 404, "no commit deploying version 9.9.9"),
    ("POST", "/revert", {"version": "2.3.1"}, 409, "conflicts with the later commit"),
    ("DELETE", "", None, 405, "is not served"),
    ("POST", "/nonsense", {}, 404, "is not served"),
])
def test_bad_requests_are_answered_with_the_next_step(gitops, method: str, path: str,
                                                      body: Any, status: int, says: str) -> None:
    _cluster, info = gitops
    response = httpx.request(method, info.extra["params"]["gitops_app_url"] + path,
                             json=body, timeout=5)
    assert response.status_code == status, response.text
    assert says in response.json()["error"]


def test_an_unknown_application_names_the_known_ones(gitops) -> None:
    _cluster, info = gitops
    response = httpx.get(f"{info.api}/apps/gitops/applications/payments", timeout=5)
    assert response.status_code == 404
    assert "applications: checkout" in response.json()["error"]


# ---- the runbook -----------------------------------------------------------------------------
def test_the_gitops_revert_runbook_ends_on_the_good_version(gitops, kubectl,
                                                            rollback_home: Path) -> None:
    _cluster, info = gitops
    result = rollback_run(info, "gitops-revert", "--reason", "2.4.0 fails 14% of requests")
    assert result.returncode == 0, explain(result)
    assert "0 failed" in result.stdout, explain(result)
    done = finished(the_incident(rollback_home))
    assert done["revert_in_git"]["status"] == "ok"
    assert done["revert_in_git"]["data"]["status"] == 201
    assert done["verify_synced"]["status"] == "ok"
    assert rolled_out_at(kubectl, info, GOOD)
    stays(kubectl, info, GOOD, 3 * SYNC_DELAY)
    assert app_state(info)["desired"]["version"] == GOOD
