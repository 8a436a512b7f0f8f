"""The commands `rollback drill` hands out work as printed: pasted into bash, read by scripts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import rollback_argv

from tui.drill.scenario import scenario_files

SPEED = "20"  # as the other drill runs: the latency budgets and timeouts scale with it
SCENARIOS = [path.stem for path in scenario_files()]
UNATTENDED = "or run it unattended against the drill"


def _environ(home: Path) -> dict[str, str]:
    """This checkout's `rollback` first on PATH, as after `pip install` in a venv."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {**os.environ, "ROLLBACK_HOME": str(home), "PATH": path}


class Drill:
    """`rollback drill SCENARIO` as a person starts it, without a terminal (text mode)."""

    def __init__(self, scenario: str, home: Path, *extra: str) -> None:
        self.env = _environ(home)
        self.process = subprocess.Popen(
            [*rollback_argv(), "drill", scenario, "--speed", SPEED, *extra],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=self.env)

    def read_until(self, marker: str) -> str:
        """The output up to the line containing `marker` (the drill keeps running)."""
        assert self.process.stdout is not None
        lines = []
        for line in self.process.stdout:
            lines.append(line)
            if marker in line:
                return "".join(lines)
        self.process.wait(10)
        raise AssertionError(f"the drill ended (exit {self.process.returncode}) before "
                             f"{marker!r}:\n{''.join(lines)}{self.process.stderr.read()}")

    def stop(self) -> int:
        """Ctrl-C, as the printed text says; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(30)
        finally:
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()


@pytest.fixture
def start_drill(tmp_path: Path) -> Iterator[object]:
    started: list[Drill] = []

    def start(scenario: str, *extra: str) -> Drill:
        drill = Drill(scenario, tmp_path / "home", *extra)
        started.append(drill)
        return drill

    yield start
    for drill in started:
        drill.stop()


def unattended_script(text: str) -> str:
    """The lines printed under "run it unattended", as a person would paste them."""
    assert UNATTENDED in text, text
    block = text.split(UNATTENDED, 1)[1].split(":\n", 1)[1].split("\n\n", 1)[0]
    return "\n".join(line.strip() for line in block.splitlines())


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_printed_run_command_pasted_into_bash_exits_0(scenario: str, start_drill) -> None:
    drill = start_drill(scenario)
    script = unattended_script(drill.read_until("Ctrl-C ends the drill"))
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                            env=drill.env, timeout=300, check=False)
    assert result.returncode == 0, (f"{script}\nexit {result.returncode}\n"
                                    f"{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    if scenario == "blue-green":  # the switch reports the selector the Service ends up with
        assert "selector app=checkout,version=green → app=checkout,version=blue" in result.stdout
    assert drill.stop() == 0


def test_secrets_are_exported_before_the_command_never_on_it(start_drill) -> None:
    drill = start_drill("bad-flag")
    script = unattended_script(drill.read_until("Ctrl-C ends the drill"))
    first, command = script.splitlines()[0], script.splitlines()[-1]
    assert first.startswith("export ROLLBACK_PARAM_FLAG_API_TOKEN=drill-flag-")
    token = first.split("=", 1)[1]
    assert token not in command and "flag_api_token" not in command
    # A value with quotes in it arrives as it was written.
    assert "-p 'old_behaviour=\"flow\":\"old\"'" in command


def test_serve_ready_line_has_the_run_command_and_its_environment(start_drill) -> None:
    drill = start_drill("bad-flag", "--serve")
    ready = json.loads(drill.read_until("}"))
    assert isinstance(ready["run_command"], str)
    assert set(ready["env"]) == {"ROLLBACK_PARAM_FLAG_API_TOKEN"}
    assert ready["env"]["ROLLBACK_PARAM_FLAG_API_TOKEN"] not in ready["run_command"]
    result = subprocess.run(["bash", "-c", ready["run_command"]], capture_output=True,
                            text=True, env={**drill.env, **ready["env"]}, timeout=300,
                            check=False)
    assert result.returncode == 0, f"{result.stdout[-4000:]}\n{result.stderr[-2000:]}"


def test_a_missing_secret_is_refused_before_the_incident_opens(start_drill,
                                                                tmp_path: Path) -> None:
    drill = start_drill("bad-flag", "--serve")
    ready = json.loads(drill.read_until("}"))
    env = {k: v for k, v in drill.env.items() if not k.startswith("ROLLBACK_PARAM_")}
    result = subprocess.run(["bash", "-c", ready["run_command"]], capture_output=True,
                            text=True, env=env, timeout=120, check=False)
    assert result.returncode == 2, f"{result.stdout[-3000:]}\n{result.stderr[-2000:]}"
    assert "flag_api_token" in result.stderr
    assert "ROLLBACK_PARAM_FLAG_API_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr
    incidents = tmp_path / "home" / "data" / "incidents"
    assert not incidents.exists() or not any(incidents.iterdir())


def test_a_decision_drill_is_not_handed_the_runbook_as_its_play(start_drill) -> None:
    """Without a runbook of its own the drill falls back to revert-deployment: shown only as
    the play if the trainee decides to roll back, never as "the runbook for it"."""
    text = start_drill("minor-p3").read_until("Ctrl-C ends the drill")
    assert "The runbook for it" not in text
    assert "This drill is about the decision" in text
    assert "If you decide to roll back, the runbook would be" in text
    assert "rollback runbooks show revert-deployment" in text


def test_only_scenarios_without_a_rollback_play_are_decision_drills() -> None:
    from tui.app.commands_drill import RUNBOOK_HEADING, decision_drill, runbook_heading
    from tui.drill.scenario import load_scenario_bytes

    scenarios = {path.stem: load_scenario_bytes(path.read_bytes(), str(path))
                 for path in scenario_files()}
    assert {name for name, s in scenarios.items() if decision_drill(s)} == {
        "irreversible-migration", "minor-p3"}
    # Worded the same for every decision drill: the heading does not tell the answer.
    assert runbook_heading(scenarios["minor-p3"]) == runbook_heading(
        scenarios["irreversible-migration"])
    assert runbook_heading(scenarios["bad-release"]) == RUNBOOK_HEADING
    # A load drill without ground truth or runbook is no decision drill either.
    assert runbook_heading(scenarios["scale-5000"]).startswith("This scenario names no runbook")
