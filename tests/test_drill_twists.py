"""Drill twists over real HTTP: the catalogue, firing on demand and on schedule, and each
twist's effect as kubectl, the Prometheus API and the apps see it."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from conftest import REPO, drill_auth, wait_for

from tui.drill.scenario import ScenarioError, load_scenario_bytes
from tui.drill.twists import CATALOGUE

BAD_RELEASE = REPO / "tui" / "drill" / "scenarios" / "bad-release.yaml"
PAYMENTS = {
    "deployment": {"name": "payments", "namespace": "production", "replicas": 2,
                   "rolled_out": True, "revisions": [
                       {"image": "registry.drill.local/payments:1.8.0", "version": "1.8.0",
                        "error_ratio": 0.001, "latency_p95": 0.08}]},
    "service": {"name": "payments", "namespace": "production", "selector": {"app": "payments"},
                "request_rate": 20},
}


def scenario_file(tmp_path: Path, *, payments: bool = False,
                  twists: list[dict[str, Any]] | None = None) -> str:
    """bad-release, optionally with a second service (payments) and scheduled twists."""
    data = yaml.safe_load(BAD_RELEASE.read_text())
    if payments:
        data["deployments"].append(PAYMENTS["deployment"])
        data["services"].append(PAYMENTS["service"])
    if twists is not None:
        data["twists"] = twists
    path = tmp_path / f"scenario-{len(list(tmp_path.glob('scenario-*')))}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def admin(info: Any) -> httpx.Client:
    """The drill's admin API as its kubeconfig's user."""
    return httpx.Client(base_url=info.api, headers=drill_auth(info), timeout=10)


def fire(info: Any, event: str) -> httpx.Response:
    with admin(info) as client:
        return client.post("/drill/twists", json={"event": event, "source": "facilitator"})


def query(info: Any, expr: str) -> httpx.Response:
    with httpx.Client(timeout=10) as client:
        return client.get(f"{info.prometheus}/api/v1/query", params={"query": expr})


def test_catalogue_lists_each_twist_with_a_detail(drill) -> None:
    _cluster, info = drill("bad-release")
    with admin(info) as client:
        body = client.get("/drill/twists").json()
    assert [k["event"] for k in body["catalogue"]] == [
        "second-service-degrades", "prometheus-down", "rbac-denies-patch", "user-reports",
        "status-update-due", "good-pod-fails"]
    assert all(k["detail"] for k in body["catalogue"])
    assert body["fired"] == [] and body["scheduled"] == []


def test_post_fires_at_once_and_an_unknown_twist_is_refused_with_the_catalogue(drill) -> None:
    _cluster, info = drill("bad-release")
    answer = fire(info, "status-update-due")
    assert answer.status_code == 200, answer.text
    fired = answer.json()
    assert fired["seq"] == 1 and fired["event"] == "status-update-due"
    assert fired["source"] == "facilitator" and fired["detail"]
    assert fired["scenario_seconds"] >= 0 and fired["fired_at"].endswith("Z")
    with admin(info) as client:
        assert client.get("/drill/twists").json()["fired"] == [fired]

    unknown = fire(info, "meteor-strike")
    assert unknown.status_code == 400
    assert "unknown twist 'meteor-strike'" in unknown.json()["error"]
    assert len(unknown.json()["catalogue"]) == len(CATALOGUE)
    assert fire(info, "user-reports=500").status_code == 400
    with admin(info) as client:
        shapeless = client.post("/drill/twists", json={"source": "facilitator"})
    assert shapeless.status_code == 400
    assert shapeless.json()["error"].startswith(
        'expected {"event": "NAME[=VALUE]", "source": "facilitator"} (one of: ')


def test_scheduled_twist_fires_at_its_scenario_time(drill, tmp_path: Path) -> None:
    # 2 scenario minutes at speed 20 are 6 real seconds.
    path = scenario_file(tmp_path, twists=[{"at": "2m", "event": "prometheus-down"}])
    _cluster, info = drill(path, speed=20)
    started = time.monotonic()
    with admin(info) as client:
        assert client.get("/drill/twists").json()["scheduled"] == [
            {"at": 120.0, "event": "prometheus-down"}]
    assert query(info, "service:http_requests:rate5m").status_code == 200

    def fired() -> list[dict[str, Any]]:
        with admin(info) as client:
            return client.get("/drill/twists").json()["fired"]

    found = wait_for("the scheduled twist", fired, timeout=20)
    waited = time.monotonic() - started
    assert 5.0 <= waited <= 9.0, waited
    assert found[0]["source"] == "schedule" and found[0]["event"] == "prometheus-down"
    assert 119.0 <= found[0]["scenario_seconds"] <= 130.0
    assert query(info, "service:http_requests:rate5m").status_code == 503


def test_prometheus_down_makes_the_prometheus_api_fail(drill) -> None:
    _cluster, info = drill("bad-release")
    assert query(info, "service:http_requests:rate5m").status_code == 200
    assert fire(info, "prometheus-down").status_code == 200
    answer = query(info, "service:http_requests:rate5m")
    assert answer.status_code == 503 and answer.json()["status"] == "error"


def test_rbac_denies_patch_for_kubectl_and_access_reviews(drill, kubectl) -> None:
    _cluster, info = drill("bad-release")
    assert kubectl(info, "auth", "can-i", "patch", "deployments").stdout.strip() == "yes"
    assert fire(info, "rbac-denies-patch").status_code == 200
    can_i = kubectl(info, "auth", "can-i", "patch", "deployments")
    assert can_i.stdout.startswith("no") and can_i.returncode == 1, can_i.stdout
    patch = kubectl(info, "patch", "deployment", "checkout", "-p",
                    '{"metadata":{"labels":{"twist":"yes"}}}')
    assert patch.returncode != 0 and "forbidden" in patch.stderr.lower(), patch.stderr
    assert kubectl(info, "get", "deployment", "checkout").returncode == 0  # reads still work


def _ready(kubectl, info: Any, version: str) -> dict[str, bool]:
    pods = json.loads(kubectl(info, "get", "pods", "-l", "app=checkout", "-o", "json").stdout)
    return {p["metadata"]["name"]: all(c.get("ready") for c in p["status"].get(
        "containerStatuses") or [{}]) for p in pods["items"]
        if p["spec"]["containers"][0]["image"].endswith(":" + version)}


def test_good_pod_fails_after_a_rollback_makes_a_restored_pod_not_ready(drill, kubectl) -> None:
    _cluster, info = drill("bad-release", speed=20)
    undo = kubectl(info, "rollout", "undo", "deployment/checkout")
    assert undo.returncode == 0, undo.stderr
    wait_for("three ready 2.3.1 pods",
             lambda: list(_ready(kubectl, info, "2.3.1").values()) == [True] * 3, timeout=60)
    answer = fire(info, "good-pod-fails")
    assert answer.status_code == 200
    pod = answer.json()["detail"].split()[1]
    ready = _ready(kubectl, info, "2.3.1")
    assert ready[pod] is False and sum(ready.values()) == 2
    events = kubectl(info, "get", "events", "--field-selector", f"involvedObject.name={pod}")
    assert "Readiness probe failed" in events.stdout
    # 2 scenario minutes later (6 s at speed 20) it serves again.
    wait_for("the pod ready again", lambda: _ready(kubectl, info, "2.3.1").get(pod), timeout=20)


def test_good_pod_fails_before_a_rollback_waits_for_the_first_good_pod(drill, kubectl) -> None:
    _cluster, info = drill("bad-release", speed=20)
    detail = fire(info, "good-pod-fails").json()["detail"]
    assert detail.startswith("the next pod of the good revision (2.3.1)")
    assert kubectl(info, "rollout", "undo", "deployment/checkout").returncode == 0

    def unready_good_pod() -> list[str]:
        pods = json.loads(kubectl(info, "get", "events", "-o", "json").stdout)["items"]
        return [e["involvedObject"]["name"] for e in pods
                if e["reason"] == "Unhealthy" and "statuscode: 503" in e["message"]]

    assert wait_for("a restored pod failing its readiness probe", unready_good_pod, timeout=60)


def test_second_service_degrades_raises_its_error_ratio(drill, tmp_path: Path) -> None:
    _cluster, info = drill(scenario_file(tmp_path, payments=True), speed=20)
    expr = 'service:http_requests_errors:ratio_rate5m{service="payments"}'

    def ratio() -> float:
        result = query(info, expr).json()["data"]["result"]
        return float(result[0]["value"][1]) if result else -1.0

    assert 0 <= ratio() < 0.01
    answer = fire(info, "second-service-degrades")
    assert answer.status_code == 200 and "payments" in answer.json()["detail"]
    # The [5m] window is 15 real seconds at speed 20; within it the ratio climbs past 5 %.
    wait_for("payments' error ratio above 5 %", lambda: ratio() > 0.05, timeout=30)
    with httpx.Client(timeout=10) as client:
        assert client.get(f"{info.api}/apps/payments/health").status_code == 503


def test_second_service_degrades_needs_a_second_service(drill, tmp_path: Path) -> None:
    _cluster, info = drill("bad-release")
    answer = fire(info, "second-service-degrades")
    assert answer.status_code == 409
    assert "no service besides checkout" in answer.json()["error"]
    with pytest.raises(ScenarioError, match="no service besides checkout"):
        path = scenario_file(tmp_path, twists=[{"at": "1m", "event": "second-service-degrades"}])
        load_scenario_bytes(Path(path).read_bytes(), path)


def test_user_reports_are_kept_as_data(drill) -> None:
    _cluster, info = drill("bad-release")
    fired = fire(info, "user-reports=3").json()
    with admin(info) as client:
        reports = client.get("/drill/reports").json()["reports"]
    assert len(reports) == 3 and {r["twist_seq"] for r in reports} == {fired["seq"]}
    assert all("checkout" in r["text"].lower() and r["channel"] for r in reports)
    assert len({r["text"] for r in reports}) == 3


def test_a_scheduled_twist_is_validated_with_its_line(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, twists=[{"at": "1m", "event": "prometheus-dwon"}])
    with pytest.raises(ScenarioError) as raised:
        load_scenario_bytes(Path(path).read_bytes(), path)
    message = str(raised.value)
    assert "prometheus-dwon" in message and "one of: second-service-degrades" in message
    line = next(n for n, text in enumerate(Path(path).read_text().splitlines(), 1)
                if "prometheus-dwon" in text)
    assert f"{path}:{line}:" in message
