"""Shared fixtures: every test gets its own ROLLBACK_HOME, so nothing touches the real home."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

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
