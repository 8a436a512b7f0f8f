"""Scenario files, determinism by seed, and faults injected by scenario, CLI and admin API."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import drill_auth

from tui.drill.faults import Faults
from tui.drill.scenario import ScenarioError, load_scenario_bytes, scenario_files


def _request(url: str, method: str = "GET", body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_shipped_scenarios_validate(path: Path) -> None:
    scenario = load_scenario_bytes(path.read_bytes(), str(path))
    assert scenario.id == path.stem
    assert scenario.description and "\n" not in scenario.description


def test_scenario_problems_are_all_reported_with_positions() -> None:
    text = (b"id: broken\n"
            b"description: x\n"
            b"namespaces: [production]\n"
            b"deployments:\n"
            b"  - name: api\n"
            b"    namespace: staging\n"
            b"    replicas: -1\n"
            b"    revisons: []\n"
            b"    revisions:\n"
            b"      - image: a:1\n"
            b"        version: '1'\n"
            b"        behavior: crashlop\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario_bytes(text, "s.yaml")
    lines = str(info.value).splitlines()
    assert any(line.startswith("s.yaml:7:15: -1 is too small") for line in lines), lines
    assert any(line.startswith("s.yaml:8:5: unknown key 'revisons'") and "did you mean" in line
               for line in lines), lines
    assert any(line.startswith("s.yaml:12:19:") and "crashloop" in line for line in lines), lines
    assert any("namespace 'staging'" in line for line in lines), lines


def test_a_secret_of_database_credentials_needs_the_database() -> None:
    text = (b"id: creds\n"
            b"description: x\n"
            b"namespaces: [production]\n"
            b"secrets:\n"
            b"  - name: db\n"
            b"    namespace: production\n"
            b"    database: true\n"
            b"  - name: empty\n"
            b"    namespace: production\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario_bytes(text, "s.yaml")
    lines = str(info.value).splitlines()
    assert any(line.startswith("s.yaml:7:15: secret 'db' takes the database's credentials, "
                               "but the scenario has no database") for line in lines), lines
    assert any(line.startswith("s.yaml:8:5: secret 'empty' holds nothing") for line in lines), \
        lines


def test_the_same_seed_gives_the_same_cluster(drill) -> None:
    names = []
    for _ in range(2):
        cluster, _info = drill("bad-release", seed=7)
        names.append(sorted(p["metadata"]["name"] for p in cluster.store.values("pods")))
        cluster.stop()
    other, _ = drill("bad-release", seed=8)
    assert names[0] == names[1]
    assert sorted(p["metadata"]["name"] for p in other.store.values("pods")) != names[0]


def test_fault_parsing() -> None:
    faults = Faults()
    for spec in ("deny=patch:deployments", "error-rate=0.25", "latency=200ms",
                 "drop-watches=30s", "conflict-next-write", "metrics-down"):
        faults.apply(spec)
    assert faults.denied("patch", "deployments") and not faults.denied("get", "deployments")
    assert faults.error_rate == 0.25 and faults.latency == pytest.approx(0.2)
    assert faults.drop_watches == 30 and faults.metrics_down
    assert faults.take_conflict() and not faults.take_conflict()
    for bad in ("deny=patch", "error-rate=2", "latency=soon", "explode", "metrics-down=yes"):
        with pytest.raises(ValueError):
            faults.apply(bad)


def test_admin_endpoint_sets_and_clears_faults(drill) -> None:
    _cluster, info = drill("bad-release")
    status, body = _request(f"{info.api}/drill/faults", "POST",
                            json.dumps(["error-rate=1.0", "deny=get:pods"]).encode())
    assert status == 200 and body["error_rate"] == 1.0 and body["deny"] == ["get:pods"]
    status, body = _request(f"{info.api}/api/v1/namespaces/production/pods",
                            headers=drill_auth(info))
    assert status == 500 and body["kind"] == "Status" and "injected" in body["message"]
    status, body = _request(f"{info.api}/drill/faults", "POST", b'["bogus"]')
    assert status == 400 and "unknown fault" in body["error"]
    _request(f"{info.api}/drill/faults", "DELETE")
    status, body = _request(f"{info.api}/api/v1/namespaces/production/pods",
                            headers=drill_auth(info))
    assert status == 200 and len(body["items"]) == 3


def test_denied_verb_is_a_403_status_naming_the_resource(drill) -> None:
    _cluster, info = drill("bad-release", faults=["deny=list:pods"])
    status, body = _request(f"{info.api}/api/v1/namespaces/production/pods",
                            headers=drill_auth(info))
    assert status == 403 and body["reason"] == "Forbidden"
    assert 'cannot list resource "pods"' in body["message"]
    assert 'namespace "production"' in body["message"]


def test_latency_fault_slows_the_api(drill) -> None:
    cluster, info = drill("bad-release")
    start = time.perf_counter()
    _request(f"{info.api}/version")
    quick = time.perf_counter() - start
    cluster.faults.apply("latency=300ms")
    start = time.perf_counter()
    _request(f"{info.api}/api/v1/namespaces", headers=drill_auth(info))
    assert time.perf_counter() - start >= 0.3 > quick


def test_scheduled_fault_fires_after_its_time(drill, tmp_path: Path) -> None:
    from tui.drill.cluster import DrillCluster

    source = (Path(scenario_files()[0]).parent / "bad-release.yaml").read_text()
    path = tmp_path / "timed.yaml"
    path.write_text(source.replace("id: bad-release", "id: timed")
                    + "schedule:\n  - at: 20s\n    fault: metrics-down\n")
    scenario = load_scenario_bytes(path.read_bytes(), str(path))
    with DrillCluster(scenario, folder=tmp_path / "d", speed=20) as cluster:
        assert not cluster.faults.metrics_down
        deadline = time.monotonic() + 5
        while not cluster.faults.metrics_down and time.monotonic() < deadline:
            time.sleep(0.1)
        assert cluster.faults.metrics_down  # 20 s of scenario time is 1 s at speed 20


def test_rollback_cures_the_simulated_traffic(drill, kubectl) -> None:
    cluster, info = drill("bad-release", speed=20)
    bad = cluster.traffic.rates("checkout", time.time(), 60)
    assert bad is not None and bad["error_ratio"] > 0.08
    assert kubectl(info, "rollout", "undo", "deploy/checkout").returncode == 0
    done = kubectl(info, "rollout", "status", "deploy/checkout", "--timeout=60s")
    assert done.returncode == 0, done.stderr
    time.sleep(3)  # the traffic model samples once a second
    good = cluster.traffic.rates("checkout", time.time(), 2.5)
    assert good is not None and good["error_ratio"] < 0.01
    status, body = _request(info.apps["checkout"] + "/version")
    assert status == 200 and body["version"] == "2.3.1"
