"""The cascade drill: payments 3.1.0 is bad, and checkout, which calls it, fails with it.

Real HTTP against the drill at speed 20 (the recording rules' 5 m window is 15 real seconds):
the metrics through the drill's Prometheus API and each app's /metrics, rollbacks with real
kubectl and with the official client through the product's Kube adapter.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import wait_for
from test_run_headless import explain, image, revisions, rollback_run

from tui.adapters.kube import Kube
from tui.drill.scenario import ScenarioError, find_scenario, load_scenario_bytes

SPEED = 20
WINDOW = 300 / SPEED  # the rate window, real seconds
HIGH, LOW = 0.10, 0.05  # error ratios: clearly degraded / under the runbooks' threshold


def error_ratios(info: Any) -> dict[str, float]:
    """Every service's error ratio, as one query without a service selector answers it."""
    response = httpx.get(f"{info.prometheus}/api/v1/query",
                         params={"query": "service:http_requests_errors:ratio_rate5m"}, timeout=5)
    assert response.status_code == 200, response.text
    return {r["metric"]["service"]: float(r["value"][1])
            for r in response.json()["data"]["result"]}


def health(info: Any, service: str) -> int:
    return httpx.get(f"{info.apps[service]}/health", timeout=5).status_code


def rolled_out(kubectl: Any, info: Any, deployment: str) -> bool:
    status = kubectl(info, "rollout", "status", f"deployment/{deployment}", "--timeout=1s")
    return status.returncode == 0


@pytest.fixture
def cascade(drill):
    return drill("cascade", speed=SPEED)


def test_scenario_truth_points_at_the_cause() -> None:
    scenario = find_scenario("cascade")
    truth = scenario.data["truth"]
    assert (truth["decision"], truth["strategy"]) == ("ROLLBACK", "revert-deployment")
    assert truth["targets"] == [{"namespace": "production", "deployment": "payments",
                                 "revision": 2, "version": "3.0.2"}]
    assert truth["untouched"] == [{"namespace": "production", "deployment": "checkout"}]
    params = scenario.data["params"]
    assert (params["deployment"], params["service"], params["expected_version"]) == (
        "payments", "payments", "3.0.2")


def test_a_dependency_on_an_unknown_service_is_refused() -> None:
    text = find_scenario("cascade").path.read_text().replace(  # type: ignore[union-attr]
        "{service: payments, share: 0.8}", "{service: payment, share: 0.8}")
    with pytest.raises(ScenarioError, match=r"cascade\.yaml:60:19: service 'checkout' depends on "
                                            r"'payment'"):
        load_scenario_bytes(text.encode(), "cascade.yaml")


def test_both_services_are_degraded_and_checkout_follows_payments(cascade, kubectl) -> None:
    _cluster, info = cascade
    ratios = error_ratios(info)
    assert set(ratios) == {"checkout", "payments"}
    assert ratios["payments"] == pytest.approx(0.2, abs=0.01)
    # checkout's own 0.2 % plus 80 % of its requests failing as payments' do.
    expected = 1 - (1 - 0.002) * (1 - 0.8 * ratios["payments"])
    assert ratios["checkout"] == pytest.approx(expected, abs=0.01)
    assert health(info, "checkout") == 503 and health(info, "payments") == 503
    # Before payments' release (20 minutes ago) both were at their baseline.
    before = httpx.get(f"{info.prometheus}/api/v1/query", timeout=5, params={
        "query": "service:http_requests_errors:ratio_rate5m", "time": time.time() - 1200})
    assert all(float(r["value"][1]) < 0.01 for r in before.json()["data"]["result"])
    # Only payments changed recently: checkout's release is days old.
    ages = kubectl(info, "get", "rs", "-o", "custom-columns=NAME:.metadata.name,"
                   "REPLICAS:.spec.replicas,CREATED:.metadata.creationTimestamp", "--no-headers")
    created = {line.split()[0].split("-")[0]: line.split()[2]
               for line in ages.stdout.splitlines() if line.split()[1] != "0"}
    assert created["payments"] > created["checkout"]
    for service in ("checkout", "payments"):
        exposition = httpx.get(f"{info.apps[service]}/metrics", timeout=5).text
        assert f'http_requests_total{{service="{service}",code="500"' in exposition


def test_rolling_back_payments_cures_both(cascade, kubectl) -> None:
    _cluster, info = cascade
    with Kube.connect(info.kubeconfig) as kube:
        result = kube.rollout_undo("payments", namespace="production")
    assert (result.from_revision, result.to_revision) == (3, 2)
    wait_for("payments to roll out 3.0.2", lambda: rolled_out(kubectl, info, "payments"),
             timeout=30)
    assert image(kubectl, info, "payments").endswith(":3.0.2")
    # The app's own health turns at once, the 5 m rates once the window has passed.
    assert health(info, "checkout") == 200 and health(info, "payments") == 200
    wait_for("both error ratios under 5 %",
             lambda: all(r < LOW for r in error_ratios(info).values()), timeout=WINDOW + 10)
    assert revisions(kubectl, info, "checkout") == [1, 2]  # checkout was never touched


def test_rolling_back_checkout_changes_nothing(cascade, kubectl) -> None:
    _cluster, info = cascade
    undo = kubectl(info, "rollout", "undo", "deployment/checkout")
    assert undo.returncode == 0, undo.stderr
    wait_for("checkout to roll out 2.3.0", lambda: rolled_out(kubectl, info, "checkout"),
             timeout=30)
    assert image(kubectl, info, "checkout").endswith(":2.3.0")
    started = time.monotonic()
    while time.monotonic() - started < WINDOW + 2:  # a whole window after the rollback
        ratios = error_ratios(info)
        assert ratios["checkout"] > HIGH and ratios["payments"] > HIGH, ratios
        time.sleep(1)
    assert health(info, "checkout") == 503


def test_a_callee_without_endpoints_fails_every_call_of_its_callers(cascade, kubectl) -> None:
    _cluster, info = cascade
    assert kubectl(info, "scale", "deployment/payments", "--replicas=0").returncode == 0
    wait_for("checkout to fail 80 % of its requests",
             lambda: error_ratios(info)["checkout"] > 0.75, timeout=WINDOW + 10)


def test_the_drill_lists_both_apps(cascade, tmp_path: Path) -> None:
    _cluster, info = cascade
    assert set(info.apps) == {"checkout", "payments"}
    assert info.deployment == "payments"
    assert info.extra["params"]["version_url"].endswith("/apps/payments/version")


def test_the_revert_deployment_runbook_with_the_drill_params_fixes_both(
        cascade, kubectl, rollback_home: Path) -> None:
    _cluster, info = cascade
    result = rollback_run(info, "revert-deployment", "--reason", "payments 3.1.0 fails")
    assert result.returncode == 0, explain(result)
    assert image(kubectl, info, "payments").endswith(":3.0.2")
    assert revisions(kubectl, info, "checkout") == [1, 2]
    wait_for("checkout's error ratio under 5 %", lambda: error_ratios(info)["checkout"] < LOW,
             timeout=WINDOW + 10)
