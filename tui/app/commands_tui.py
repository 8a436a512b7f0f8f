"""The guided TUI's entry points: bare `rollback`, `run`, `resume`, `follow` and `drill`.

Every one builds an `Opener` (sessions) and runs the app; refusals (a bad runbook, a missing
parameter, an incident held by another process) are printed before the screen opens."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tui.app.config import ConfigError, Settings, load_settings
from tui.app.paths import resolve_paths

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _opener(settings: Settings | None = None) -> Any:
    from tui.app.launch import Opener

    paths = resolve_paths()
    return Opener(paths, settings or load_settings(paths.config_file))


def _refused(exc: Exception) -> int:
    from tui.adapters.journal import JournalError

    print(f"rollback: {exc}", file=sys.stderr)
    return EXIT_USAGE if not isinstance(exc, JournalError) else EXIT_FAILED


def start() -> int:
    """Bare `rollback`: the start screen (resume, new incident, drill)."""
    from tui.app.launch import run_tui

    try:
        opener = _opener()
    except ConfigError as exc:
        return _refused(exc)
    return run_tui(opener)


def run_runbook(path: Path, given: dict[str, str], args: argparse.Namespace,
                settings: Settings) -> int:
    """`rollback run RUNBOOK` without --headless: the app on a new incident."""
    from tui.adapters.journal import JournalError
    from tui.app.launch import run_tui
    from tui.session.core import SessionError

    opener = _opener(settings)
    try:
        session = opener.new(path, given, kubeconfig=args.kubeconfig, context=args.context,
                             namespace=args.namespace, prometheus_url=args.prometheus,
                             dry_run=args.dry_run or None, time_scale=args.time_scale)
    except (SessionError, JournalError, OSError) as exc:
        return _refused(exc)
    return run_tui(opener, session)


def resume(incident_id: str | None) -> int:
    """`rollback resume [ID]`: the app exactly where the incident stood."""
    from tui.adapters.journal import JournalError
    from tui.app.incident_lookup import IncidentLookupError
    from tui.app.launch import run_tui
    from tui.session.core import SessionError

    try:
        opener = _opener()
        session = opener.resume(incident_id)
    except (SessionError, JournalError, IncidentLookupError, ConfigError) as exc:
        return _refused(exc)
    return run_tui(opener, session)


def follow(incident_id: str) -> int:
    """`rollback follow ID`: the same screens, read-only, updating as the journal grows."""
    from tui.adapters.journal import JournalError
    from tui.app.incident_lookup import IncidentLookupError
    from tui.app.launch import run_tui
    from tui.session.core import SessionError

    try:
        opener = _opener()
        session = opener.follow(incident_id)
    except (SessionError, JournalError, IncidentLookupError, ConfigError) as exc:
        return _refused(exc)
    return run_tui(opener, session)


def drill(scenario: str, *, speed: float, faults: list[str], seed: int) -> int:
    """`rollback drill [SCENARIO]`: the drill cluster in this process, the app on its incident."""
    from tui.adapters.journal import JournalError
    from tui.app.launch import run_tui
    from tui.drill.scenario import ScenarioError
    from tui.session.core import SessionError

    try:
        opener = _opener()
        session, handle = opener.drill(scenario, speed=speed, faults=faults, seed=seed)
    except (ScenarioError, SessionError, JournalError, ConfigError, ValueError) as exc:
        opener_close = locals().get("opener")
        if opener_close is not None:
            opener_close.close()
        return _refused(exc)
    return run_tui(opener, session, handle)
