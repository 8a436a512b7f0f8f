"""Where rollback-tui keeps its configuration, incidents, user runbooks and drill scenarios.

Everything goes through platformdirs; `ROLLBACK_HOME` moves all of it under one folder
(tests and CI set it so nothing touches the real home directory).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "rollback-tui"
HOME_ENV = "ROLLBACK_HOME"


@dataclass(frozen=True)
class Paths:
    """The folders and files the application reads and writes."""

    config_file: Path
    data_dir: Path
    incidents_dir: Path
    runbooks_dir: Path
    scenarios_dir: Path


def resolve_paths(environ: os._Environ[str] | dict[str, str] | None = None) -> Paths:
    """Return the paths in force: under `ROLLBACK_HOME` when set, else the platform's own."""
    env = os.environ if environ is None else environ
    home = env.get(HOME_ENV)
    if home:
        root = Path(home).expanduser()
        config_dir = root / "config"
        data_dir = root / "data"
    else:
        import platformdirs

        config_dir = Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
        data_dir = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    return Paths(
        config_file=config_dir / "config.yaml",
        data_dir=data_dir,
        incidents_dir=data_dir / "incidents",
        runbooks_dir=config_dir / "runbooks",
        scenarios_dir=config_dir / "scenarios",
    )
