"""Scenario ground truth: it validates, it names what the drill really serves, and bad truths
are refused with FILE:LINE:COL problems."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from conftest import wait_for
from kubernetes import client, config

from tui.domain.assessment import Decision
from tui.domain.strategies import BY_ID
from tui.drill.cluster import DrillCluster
from tui.drill.controller import REVISION
from tui.drill.scenario import (
    ScenarioError,
    find_scenario,
    load_scenario_bytes,
    scenario_catalog,
    scenario_files,
)

SHIPPED = [path.stem for path in scenario_files()]
WITH_TRUTH = [name for name in SHIPPED if name != "scale-5000"]


def test_every_shipped_scenario_but_the_load_fixture_has_a_truth() -> None:
    assert {"error-spike", "paused-rollout", "irreversible-migration", "minor-p3"} <= set(SHIPPED)
    for name in SHIPPED:
        truth = find_scenario(name).truth
        if name == "scale-5000":
            assert truth is None
            continue
        assert truth is not None, name
        assert truth["decision"] in {d.value for d in Decision}
        if truth["decision"] == Decision.FIX_FORWARD.value:
            assert "strategy" not in truth and truth["untouched"], name
        else:
            assert truth["strategy"] in BY_ID and truth["targets"], name
        assert truth["why"] and truth["practise"], name


def _apps(cluster: DrillCluster) -> tuple[client.AppsV1Api, client.CoreV1Api]:
    api = config.new_client_from_config(config_file=cluster.info().kubeconfig)
    return client.AppsV1Api(api), client.CoreV1Api(api)


def _replicasets(apps: client.AppsV1Api, namespace: str, name: str) -> list[Any]:
    """The ReplicaSets the deployment `name` controls, read over HTTP."""
    return [rs for rs in apps.list_namespaced_replica_set(namespace).items
            if any(ref.name == name and ref.controller
                   for ref in rs.metadata.owner_references or [])]


def _error_ratio(cluster: DrillCluster, service: str) -> float:
    query = urllib.parse.quote(f'service:http_requests_errors:ratio_rate5m{{service="{service}"}}')
    url = f"{cluster.info().prometheus}/api/v1/query?query={query}"
    with urllib.request.urlopen(url, timeout=10) as response:
        body = json.loads(response.read())
    return float(body["data"]["result"][0]["value"][1])


@pytest.mark.parametrize("name", WITH_TRUTH)
def test_truth_agrees_with_what_the_drill_serves_at_start(name: str, drill) -> None:
    """Each target's revision runs its image in a ReplicaSet of that revision; untouched
    deployments, selectors and flags name real objects; and a rollback scenario does not start
    in its right end state (else it would teach nothing)."""
    cluster, _info = drill(name, speed=20)
    truth = find_scenario(name).truth
    assert truth is not None
    apps, core = _apps(cluster)
    solved = []
    for target in truth.get("targets") or []:
        ns, deployment = target["namespace"], target["deployment"]
        by_revision = {rs.metadata.annotations[REVISION]: rs
                       for rs in _replicasets(apps, ns, deployment)}
        rs = by_revision[str(target["revision"])]
        assert rs.spec.template.spec.containers[0].image == target["image"], name
        pods = [p for p in core.list_namespaced_pod(ns).items
                if p.metadata.name.startswith(deployment + "-")]
        solved.append(bool(pods) and all(p.spec.containers[0].image == target["image"]
                                         for p in pods))
    for item in truth.get("untouched") or []:
        assert apps.read_namespaced_deployment(item["deployment"], item["namespace"])
    for item in truth.get("selectors") or []:
        service = core.read_namespaced_service(item["service"], item["namespace"])
        selector = ",".join(f"{k}={v}" for k, v in item["selector"].items())
        assert core.list_namespaced_pod(item["namespace"], label_selector=selector).items
        solved.append(service.spec.selector == item["selector"])
    for item in truth.get("flags") or []:
        flag = next(f for f in cluster.scenario.data["flags"]
                    if (f["service"], f["key"]) == (item["service"], item["key"]))
        data = core.read_namespaced_config_map(flag["configmap"], "production").data
        solved.append((data[item["key"]] == flag.get("when", "true")) == item["enabled"])
    if truth["decision"] == Decision.ROLLBACK.value:
        assert not all(solved), f"{name} starts in its own right end state"


def test_paused_rollout_is_paused_halfway_with_pods_on_both_revisions(drill, kubectl) -> None:
    cluster, info = drill("paused-rollout", speed=20)
    apps, _ = _apps(cluster)
    deployment = apps.read_namespaced_deployment("checkout", "production")
    assert deployment.spec.paused is True
    progressing = {c.type: c for c in deployment.status.conditions}["Progressing"]
    assert progressing.reason == "DeploymentPaused"
    counts = {rs.spec.template.spec.containers[0].image.rsplit(":", 1)[1]:
              rs.status.ready_replicas for rs in _replicasets(apps, "production", "checkout")}
    assert counts == {"2.5.2": 2, "2.6.0": 2}
    status = kubectl(info, "rollout", "status", "deploy/checkout", "--timeout=2s")
    assert status.returncode != 0
    assert "2 out of 4 new replicas have been updated" in status.stdout
    undo = kubectl(info, "rollout", "undo", "deploy/checkout")
    assert undo.returncode != 0 and "cannot rollback a paused deployment" in undo.stderr
    listed = kubectl(info, "get", "rs", "--no-headers").stdout.splitlines()
    assert len([line for line in listed if line.split()[2] == "2"]) == 2, listed


def test_paused_rollout_resumed_and_undone_ends_on_revision_one(drill, kubectl) -> None:
    _cluster, info = drill("paused-rollout", speed=20)
    assert kubectl(info, "rollout", "resume", "deploy/checkout").returncode == 0
    assert kubectl(info, "rollout", "undo", "deploy/checkout").returncode == 0
    done = kubectl(info, "rollout", "status", "deploy/checkout", "--timeout=60s")
    assert done.returncode == 0, done.stderr
    images = kubectl(info, "get", "pods", "-o",
                     "jsonpath={.items[*].spec.containers[0].image}").stdout.split()
    wait_for("only 2.5.2 pods", lambda: set(kubectl(
        info, "get", "pods", "--field-selector=status.phase=Running", "-o",
        "jsonpath={.items[*].spec.containers[0].image}").stdout.split())
        == {"registry.drill.local/checkout:2.5.2"}, timeout=30)
    assert "registry.drill.local/checkout:2.5.2" in images


def test_stuck_rollout_has_pods_in_the_old_and_the_new_replicaset(drill) -> None:
    cluster, _info = drill("stuck-rollout", speed=20)
    apps, _ = _apps(cluster)

    def stuck() -> bool:
        conditions = apps.read_namespaced_deployment("checkout", "production").status.conditions
        return any(c.reason == "ProgressDeadlineExceeded" for c in conditions or [])

    wait_for("the progress deadline to pass", stuck, timeout=20)
    pods = {rs.spec.template.spec.containers[0].image.rsplit(":", 1)[1]:
            (rs.status.replicas, rs.status.ready_replicas or 0)
            for rs in _replicasets(apps, "production", "checkout")}
    assert pods == {"2.4.1": (3, 3), "2.5.0": (1, 0)}


def test_error_spike_pods_look_healthy_but_the_metrics_do_not(drill) -> None:
    cluster, _info = drill("error-spike", speed=20)
    _, core = _apps(cluster)
    pods = core.list_namespaced_pod("production").items
    assert len(pods) == 3
    for pod in pods:
        assert pod.status.phase == "Running"
        assert {c.type: c.status for c in pod.status.conditions}["Ready"] == "True"
        assert pod.status.container_statuses[0].restart_count == 0
    assert _error_ratio(cluster, "checkout") > 0.05


def test_minor_p3_error_ratio_is_small(drill) -> None:
    cluster, _info = drill("minor-p3", speed=20)
    assert 0.002 < _error_ratio(cluster, "checkout") < 0.01


def test_irreversible_migration_tells_a_careful_operator(drill, kubectl) -> None:
    _cluster, info = drill("irreversible-migration", speed=20)
    history = kubectl(info, "rollout", "history", "deploy/checkout").stdout
    assert "drops them (irreversible" in history
    notes = kubectl(info, "get", "configmap", "checkout-migrations", "-o",
                    "jsonpath={.data.rollback-notes}").stdout
    assert "irreversible" in notes and "2.3.1 reads first_name" in notes


# ---- bad truths --------------------------------------------------------------------------

BASE = """id: t
description: a truth under test
namespaces: [production]
deployments:
  - name: checkout
    namespace: production
    replicas: 3
    revisions:
      - {image: "r/checkout:1", version: "1.0"}
      - {image: "r/checkout:2", version: "2.0"}
services:
  - name: checkout
    namespace: production
    selector: {app: checkout}
"""


def _problems(truth: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario_bytes((BASE + truth).encode(), "s.yaml")
    return str(info.value).splitlines()


def test_a_good_truth_loads() -> None:
    scenario = load_scenario_bytes((BASE + """truth:
  decision: ROLLBACK
  strategy: revert-deployment
  severity: P1
  targets: [{namespace: production, deployment: checkout, revision: 1}]
  why: because
""").encode(), "s.yaml")
    assert scenario.truth is not None
    assert scenario.truth["targets"][0] == {"namespace": "production", "deployment": "checkout",
                                            "revision": 1, "version": "1.0",
                                            "image": "r/checkout:1"}


@pytest.mark.parametrize(("truth", "expected"), [
    ("truth:\n  decision: ROLBACK\n  severity: P1\n  why: w\n",
     "s.yaml:16:13: 'ROLBACK' is not allowed — did you mean 'ROLLBACK'?"),
    (("truth:\n  decision: ROLLBACK\n  strategy: revert\n  severity: P1\n  why: w\n"
     "  targets: [{namespace: production, deployment: checkout, revision: 1}]\n"),
     "s.yaml:17:13: unknown strategy 'revert'"),
    (("truth:\n  decision: ROLLBACK\n  severity: P5\n  strategy: revert-deployment\n"
     "  why: w\n  targets: [{namespace: production, deployment: checkout, revision: 1}]\n"),
     "s.yaml:17:13: 'P5' is not allowed"),
    (("truth:\n  decision: ROLLBACK\n  severity: P1\n  why: w\n"
     "  targets: [{namespace: production, deployment: checkout, revision: 1}]\n"),
     "s.yaml:16:3: missing strategy for decision ROLLBACK"),
    ("truth:\n  decision: ROLLBACK\n  strategy: revert-deployment\n  severity: P1\n  why: w\n",
     "s.yaml:16:3: a ROLLBACK truth needs targets"),
    (("truth:\n  decision: FIX FORWARD\n  strategy: revert-deployment\n  severity: P3\n"
     "  why: w\n"), "s.yaml:17:13: a FIX FORWARD decision takes no strategy"),
    (("truth:\n  decision: ROLLBACK\n  strategy: revert-deployment\n  severity: P1\n  why: w\n"
     "  targets:\n    - {namespace: production, deployment: chekout, revision: 1}\n"),
     ("s.yaml:21:43: no deployment 'chekout' in namespace 'production' in this scenario "
     "(expected one of: production/checkout)")),
    (("truth:\n  decision: ROLLBACK\n  strategy: revert-deployment\n  severity: P1\n  why: w\n"
     "  targets:\n    - {namespace: production, deployment: checkout, revision: 3}\n"),
     ("s.yaml:21:63: deployment 'checkout' has 2 revision(s); there is no revision 3 "
     "(expected 1 to 2)")),
    (("truth:\n  decision: ROLLBACK\n  strategy: revert-deployment\n  severity: P1\n  why: w\n"
     "  targets:\n    - {namespace: production, deployment: checkout, revision: 1,"
     " version: '2.0'}\n"),
     "s.yaml:21:75: revision 1 of 'checkout' serves '1.0', not '2.0'"),
    (("truth:\n  decision: ROLLBACK\n  strategy: revert-deployment\n  severity: P1\n  why: w\n"
     "  targets:\n    - {namespace: production, deployment: checkout, version: '3.0'}\n"),
     "s.yaml:21:62: deployment 'checkout' has no revision serving '3.0'"),
    (("truth:\n  decision: ROLLBACK\n  strategy: revert-deployment\n  severity: P1\n  why: w\n"
     "  targets:\n    - {namespace: production, deployment: checkout, version: 2.0}\n"),
     "s.yaml:21:62: expected text, got a number 2.0 — quote it: '2.0'"),
    (("truth:\n  decision: ROLLBACK\n  strategy: blue-green-switchback\n  severity: P1\n"
     "  why: w\n  targets: [{namespace: production, deployment: checkout, revision: 1}]\n"
     "  selectors:\n    - {namespace: production, service: checkout, selector: {app: cart}}\n"),
     "s.yaml:22:60: the selector matches no deployment's pods in namespace 'production'"),
    (("truth:\n  decision: ROLLBACK\n  strategy: feature-flag-disable\n  severity: P1\n"
     "  why: w\n  targets: [{namespace: production, deployment: checkout, revision: 2}]\n"
     "  flags:\n    - {service: checkout, key: dark-mode, enabled: false}\n"),
     "s.yaml:22:32: no flag 'dark-mode' on service 'checkout' in this scenario"),
    ("truth:\n  decision: FIX FORWARD\n  severity: P3\n  why: w\n  restore_within: soon\n",
     "s.yaml:19:19: invalid duration 'soon'"),
    ("truth:\n  decision: FIX FORWARD\n  severity: P3\n  why: w\n  untouchd: []\n",
     "s.yaml:19:3: unknown key 'untouchd' in the truth — did you mean 'untouched'?"),
])
def test_bad_truths_are_refused_at_their_position(truth: str, expected: str) -> None:
    lines = _problems(truth)
    assert len(lines) == 1 and lines[0].startswith(expected), lines


def test_every_problem_of_a_truth_is_reported() -> None:
    lines = _problems("truth:\n  decision: ROLLBACK\n  severity: P9\n  why: w\n"
                      "  targets:\n    - {namespace: production, deployment: nope}\n")
    assert [line.split(": ", 1)[0] for line in lines] == [
        "s.yaml:16:3", "s.yaml:17:13", "s.yaml:20:43"], lines


def test_updated_replicas_needs_a_rollout_in_progress() -> None:
    text = BASE.replace("    replicas: 3\n", "    replicas: 3\n    rolled_out: true\n"
                        "    updated_replicas: 1\n")
    with pytest.raises(ScenarioError, match=r"s.yaml:9:23: deployment 'checkout' is rolled_out"):
        load_scenario_bytes(text.encode(), "s.yaml")
    text = BASE.replace("    replicas: 3\n", "    replicas: 3\n    updated_replicas: 4\n")
    with pytest.raises(ScenarioError, match=r"s.yaml:8:23: 4 updated of 3 replicas"):
        load_scenario_bytes(text.encode(), "s.yaml")


# ---- user scenarios ----------------------------------------------------------------------

def _user_folder(home: Path) -> Path:
    folder = home / "config" / "scenarios"
    folder.mkdir(parents=True)
    source = Path(scenario_files()[0]).parent / "bad-release.yaml"
    (folder / "bad-release.yaml").write_text(source.read_text().replace(
        "description: checkout 2.4.0", "description: MINE checkout 2.4.0"))
    (folder / "my-own.yaml").write_text(BASE.replace("id: t", "id: my-own"))
    (folder / "broken.yaml").write_text(BASE.replace("id: t", "id: broken") + (
        "truth:\n  decision: ROLLBACK\n  severity: P1\n  why: w\n"
        "  targets: [{namespace: production, deployment: cart, revision: 1}]\n"))
    return folder


def test_user_scenarios_are_listed_found_and_win(run_cli, monkeypatch, tmp_path) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("ROLLBACK_HOME", str(home))
    folder = _user_folder(home)
    result = run_cli("drill", "--list")
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert "MINE" in lines["bad-release"]
    assert f"[user, replaces the built-in: {folder / 'bad-release.yaml'}]" in lines["bad-release"]
    assert f"[user: {folder / 'my-own.yaml'}]" in lines["my-own"]
    assert lines["broken"].split(None, 1)[1].startswith(
        f"INVALID: {folder / 'broken.yaml'}:16:3: missing strategy")
    assert "[" not in lines["bad-flag"] and "INVALID" not in lines["bad-flag"]
    assert find_scenario("my-own", folder).path == folder / "my-own.yaml"
    assert find_scenario("bad-release", folder).description.startswith("MINE")
    assert not find_scenario("bad-release").description.startswith("MINE")
    assert [e.id for e in scenario_catalog(folder)].count("bad-release") == 1


def test_an_invalid_user_scenario_is_refused_with_every_problem(run_cli, monkeypatch,
                                                                tmp_path) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("ROLLBACK_HOME", str(home))
    folder = _user_folder(home)
    for name in ("broken", str(folder / "broken.yaml")):
        result = run_cli("drill", name, "--serve", timeout=30)
        assert result.returncode == 2, result.stderr
        assert f"{folder / 'broken.yaml'}:16:3: missing strategy" in result.stderr
        assert f"{folder / 'broken.yaml'}:19:49: no deployment 'cart'" in result.stderr
        assert "Traceback" not in result.stderr


def test_schema_describes_the_truth(run_cli) -> None:
    result = run_cli("drill", "--schema")
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    truth = schema["properties"]["truth"]
    assert set(truth["required"]) == {"decision", "severity", "why"}
    assert "FIX FORWARD" in truth["properties"]["decision"]["enum"]
    assert "revert-deployment" in truth["properties"]["strategy"]["enum"]


def test_readme_documents_every_scenario_field() -> None:
    from tui.drill.scenario import SCENARIO

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("### Drill scenarios", 1)[1].split("\n### ", 1)[0]

    def names(spec: Any) -> set[str]:
        found = set()
        for field in getattr(spec, "fields", ()):
            found.add(field.name)
            inner = getattr(field.spec, "item", field.spec)
            found |= names(inner)
        return found

    missing = sorted(n for n in names(SCENARIO) if f"`{n}`" not in section)
    assert not missing, f"README's Drill scenarios section does not describe: {missing}"
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert load_scenario_bytes(example.encode(), "README.md").truth is not None
    for name in SHIPPED:
        assert f"| `{name}` |" in section, f"README's scenario table misses {name}"


def test_user_scenarios_follow_the_platform_config_folder(run_cli, monkeypatch,
                                                          tmp_path) -> None:
    """Without ROLLBACK_HOME the folder is platformdirs' (XDG_CONFIG_HOME on Linux)."""
    monkeypatch.delenv("ROLLBACK_HOME")
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    folder = tmp_path / "xdg_config_home" / "rollback-tui" / "scenarios"
    folder.mkdir(parents=True)
    (folder / "xdg-one.yaml").write_text(BASE.replace("id: t", "id: xdg-one"))
    result = run_cli("drill", "--list")
    assert result.returncode == 0, result.stderr
    assert f"[user: {folder / 'xdg-one.yaml'}]" in result.stdout
