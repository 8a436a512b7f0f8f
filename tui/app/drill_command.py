"""The commands a drill hands out for its runbook: shell-quoted, secrets as environment.

`rollback drill` prints them for a person to paste into bash; `rollback drill --serve` puts the
same command (`run_command`, for `bash -c`) and its environment (`env`) in its ready line.
Secret parameters never go on a command line (they would land in shell history and `ps`):
`rollback run` reads them from ROLLBACK_PARAM_<NAME>, so they are given as exports.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

from tui.app.catalog import RunbookNotFound, resolve, validate_file
from tui.app.paths import resolve_paths

SECRET_ENV_PREFIX = "ROLLBACK_PARAM_"


@dataclass(frozen=True)
class DrillCommands:
    """The runbook commands for one drill: parameters, secrets as environment, connection."""

    runbook_id: str
    kubeconfig: str
    speed: float
    params: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    def run_argv(self) -> list[str]:
        """`rollback run RUNBOOK -p …` unattended against the drill, as an argv list."""
        return ["rollback", "run", self.runbook_id, *self._param_args(),
                "--kubeconfig", self.kubeconfig, "--time-scale", f"{self.speed:g}",
                "--headless", "--yes"]

    def run_command(self) -> str:
        """The unattended run as one line for bash (needs `env` in its environment)."""
        return shlex.join(self.run_argv())

    def show_command(self) -> str:
        """`rollback runbooks show RUNBOOK -p …` with this drill's values, for bash."""
        return shlex.join(["rollback", "runbooks", "show", self.runbook_id,
                           *self._param_args()])

    def exports(self) -> list[str]:
        """`export NAME=VALUE` lines for bash, one per secret, quoted."""
        return [f"export {name}={shlex.quote(value)}" for name, value in sorted(self.env.items())]

    def _param_args(self) -> list[str]:
        return [arg for name, value in sorted(self.params.items())
                for arg in ("-p", f"{name}={value}")]


def drill_commands(runbook_id: str, values: Mapping[str, str], kubeconfig: str,
                   speed: float) -> DrillCommands:
    """Split the drill's values into the runbook's parameters and its secrets' environment.

    Values the runbook does not take are left out (it would refuse them); an unknown runbook
    keeps them all, so that the command at least says what the drill offers.
    """
    try:
        runbook = validate_file(resolve(runbook_id, resolve_paths())).runbook
    except RunbookNotFound:
        runbook = None
    params: dict[str, str] = {}
    env: dict[str, str] = {}
    for name, value in values.items():
        parameter = runbook.parameter(name) if runbook is not None else None
        if runbook is not None and parameter is None:
            continue
        if parameter is not None and parameter.secret:
            env[SECRET_ENV_PREFIX + name.upper()] = value
        else:
            params[name] = value
    return DrillCommands(runbook_id, kubeconfig, speed, params, env)
