"""A real wheel install (not editable) finds its built-in runbooks and runs its commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO


@pytest.mark.slow
def test_wheel_install_finds_builtins(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels),
                    str(REPO)], check=True, capture_output=True, timeout=300)
    wheel = next(wheels.glob("rollback_tui-*.whl"))
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True, capture_output=True, timeout=300)
    assert (target / "tui" / "builtin_runbooks" / "runbook.schema.json").is_file()
    env = {**os.environ, "PYTHONPATH": str(target)}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(target / "bin" / "rollback"), *args], capture_output=True,
                              text=True, env=env, cwd=elsewhere, timeout=60, check=False)

    listed = run("runbooks", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert len(rows) == 6
    assert all(Path(r["path"]).resolve().is_relative_to(target.resolve()) for r in rows)
    validated = run("runbooks", "validate")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert run("--version").returncode == 0
    scenarios = run("drill", "--list")
    assert scenarios.returncode == 0, scenarios.stderr
    shipped = {p.stem for p in (REPO / "tui" / "drill" / "scenarios").glob("*.yaml")}
    assert {line.split()[0] for line in scenarios.stdout.splitlines()} == shipped
    assert "INVALID" not in scenarios.stdout
