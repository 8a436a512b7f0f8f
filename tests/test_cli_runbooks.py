"""`rollback --help/--version` and `rollback runbooks …`, run as real processes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import REPO

import tui

BUILTINS = {"revert-deployment", "database-rollback", "blue-green-switchback",
            "feature-flag-disable", "full-system-rollback", "gitops-revert"}
MESSAGE = re.compile(r"^(?P<file>.+):(?P<line>\d+):(?P<col>\d+): (?P<msg>.+) \(expected .+\)$")


def test_version(run_cli) -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"rollback-tui {tui.__version__}"


def test_help_lists_commands(run_cli) -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for word in ("runbooks", "incidents", "ROLLBACK_HOME", "exit codes"):
        assert word in result.stdout


def test_usage_errors_exit_2(run_cli) -> None:
    for args in (("bogus",), ("runbooks",), ("runbooks", "frobnicate"), ("incidents", "show")):
        result = run_cli(*args)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr
        assert "error" in result.stderr


def test_python_dash_m_is_the_same_command(run_cli) -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "tui", "--version"], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0
    assert result.stdout == run_cli("--version").stdout


def test_list_shows_the_builtins(run_cli) -> None:
    result = run_cli("runbooks", "list", "--json")
    assert result.returncode == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["id"] for r in rows} == BUILTINS
    assert all(r["valid"] and r["origin"] == "builtin" for r in rows)
    strategies = {r["id"]: r["strategy"] for r in rows}
    # One built-in per strategy, named after it; gitops-revert is a Type 1 revert through Git.
    assert set(strategies.values()) == BUILTINS - {"gitops-revert"}
    assert all(strategies[s] == s for s in BUILTINS - {"gitops-revert"})
    assert strategies["gitops-revert"] == "revert-deployment"


def test_validate_builtins_ok(run_cli) -> None:
    result = run_cli("runbooks", "validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert f"{len(BUILTINS)} file(s) checked, no problems" in result.stderr


def test_validate_reports_every_problem_and_exits_2(run_cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: x\ntitle: t\nversion: '1'\nowner: o\nstrategy: revert\n"
        "estimated_time: {best: 1m, expected: 2m, worst: 3 minutes}\n"
        "trigger: {decision_authority: rm}\n"
        "steps:\n  - id: a\n    title: A\n    action: k8s.scael\n"
        "  - id: a\n    title: B\n    action: wait\n    with: {duration: '{{ nope }}'}\n"
    )
    garbage = tmp_path / "garbage.yaml"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    result = run_cli("runbooks", "validate", str(bad), str(garbage))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert all(MESSAGE.match(line) for line in lines), lines
    found = {(m["line"], m["col"]) for m in map(MESSAGE.match, lines) if m["file"] == str(bad)}
    assert ("5", "11") in found  # strategy
    assert ("6", "49") in found  # duration
    assert ("11", "13") in found  # unknown action
    assert ("12", "9") in found  # duplicate step id
    assert any("did you mean 'k8s.scale'" in line for line in lines)
    assert any(line.startswith(f"{garbage}:1:") for line in lines)


def test_show_fills_parameters(run_cli) -> None:
    result = run_cli("runbooks", "show", "revert-deployment", "-p", "namespace=payments",
                     "-p", "deployment=api")
    assert result.returncode == 0, result.stderr
    assert "$ kubectl rollout undo deployment/api --to-revision=0 -n payments" in result.stdout
    assert "Decision authority: Release manager" in result.stdout
    assert "<expected_version>" in result.stdout


def test_show_unknown_runbook_is_a_usage_error(run_cli) -> None:
    result = run_cli("runbooks", "show", "revert-deploymnt")
    assert result.returncode == 2
    assert "no runbook 'revert-deploymnt'" in result.stderr
    assert "revert-deployment" in result.stderr


def test_user_runbook_shadows_builtin_and_path_wins(run_cli, rollback_home: Path,
                                                    tmp_path: Path) -> None:
    source = (REPO / "runbooks" / "revert-deployment.yaml").read_text()
    user_dir = rollback_home / "config" / "runbooks"
    user_dir.mkdir(parents=True)
    (user_dir / "revert-deployment.yaml").write_text(
        source.replace('title: Revert a Kubernetes', 'title: OURS Revert a Kubernetes'))
    rows = [json.loads(line) for line in run_cli("runbooks", "list", "--json").stdout.splitlines()]
    mine = [r for r in rows if r["id"] == "revert-deployment"]
    assert len(mine) == 1 and mine[0]["origin"] == "user" and mine[0]["title"].startswith("OURS")
    assert "OURS" in run_cli("runbooks", "show", "revert-deployment").stdout
    other = tmp_path / "other.yaml"
    other.write_text(source.replace('title: Revert a Kubernetes', 'title: PATH Revert a Kubernetes'))
    assert "PATH Revert" in run_cli("runbooks", "show", str(other)).stdout


def test_schema_command_prints_the_shipped_schema(run_cli) -> None:
    result = run_cli("runbooks", "schema")
    assert result.returncode == 0
    shipped = json.loads((REPO / "runbooks" / "runbook.schema.json").read_text())
    assert json.loads(result.stdout) == shipped
