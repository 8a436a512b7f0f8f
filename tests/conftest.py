"""Shared fixtures: every test gets its own ROLLBACK_HOME, so nothing touches the real home."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def rollback_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated ROLLBACK_HOME for the test (and for the processes it starts)."""
    home = tmp_path / "rollback-home"
    monkeypatch.setenv("ROLLBACK_HOME", str(home))
    return home


def rollback_argv() -> list[str]:
    """How to start the installed `rollback` command."""
    script = shutil.which("rollback")
    return [script] if script else [sys.executable, "-m", "tui"]


@pytest.fixture
def run_cli():
    """Run `rollback ARGS…` as a real process; returns the CompletedProcess."""

    def run(*args: str, input: str | None = None, cwd: Path | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*rollback_argv(), *args], capture_output=True, text=True,
                              input=input, cwd=cwd, timeout=timeout, env=os.environ.copy(),
                              check=False)

    return run


def wait_for(what: str, check: Callable[[], Any], timeout: float = 15.0, every: float = 0.1
             ) -> Any:
    """Poll check() until it returns something truthy; fail naming `what` after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


REQUIRE_REAL = os.environ.get("ROLLBACK_REQUIRE_REAL") == "1"


def drill_kubeconfig(info: Any) -> dict[str, Any]:
    """A drill's kubeconfig, parsed (its cluster: `["clusters"][0]["cluster"]`)."""
    import yaml

    return yaml.safe_load(Path(info.kubeconfig).read_text())


def drill_auth(info: Any) -> dict[str, str]:
    """The `Authorization` header of a drill's kubeconfig, for tests that call its API directly
    (as kubectl and the official client send it; without it the API answers 401)."""
    return {"Authorization": f"Bearer {drill_kubeconfig(info)['users'][0]['user']['token']}"}


def require_tool(name: str) -> str:
    """The path of a real tool; skip without it, but fail when CI requires real tools."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed"
        if REQUIRE_REAL:
            pytest.fail(f"{message}, and ROLLBACK_REQUIRE_REAL=1 requires it")
        pytest.skip(message)
    return path


@pytest.fixture
def drill(tmp_path: Path):
    """Start drill clusters in-process: `cluster, info = drill("bad-release", speed=20)`."""
    from tui.drill.cluster import DrillCluster
    from tui.drill.scenario import find_scenario

    started = []

    def start(scenario: str = "bad-release", *, speed: float = 20.0, seed: int = 0,
              faults: list[str] | None = None):
        cluster = DrillCluster(find_scenario(scenario), folder=tmp_path / f"drill-{len(started)}",
                               speed=speed, seed=seed, faults=faults)
        info = cluster.start()
        started.append(cluster)
        return cluster, info

    yield start
    for cluster in started:
        cluster.stop()


@pytest.fixture
def kubectl(tmp_path: Path):
    """Run real kubectl against a drill: `kubectl(info, "get", "pods")` → CompletedProcess."""
    binary = require_tool("kubectl")

    def run(info, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
               "KUBECONFIG": info.kubeconfig}
        return subprocess.run([binary, "--cache-dir", info.extra["kubectl_cache_dir"], *args],
                              capture_output=True, text=True, env=env, timeout=timeout,
                              check=False)

    return run
