"""Finding an incident and its runbook again (resume, follow, incidents check|note) and the
session settings of an existing incident."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from tui.adapters.journal import (
    JOURNAL_FILE,
    JournalLock,
    JournalLockedError,
    JournalNotFoundError,
    incident_dir,
    list_incidents,
    load_state,
)
from tui.app.catalog import RunbookNotFound, resolve, validate_file
from tui.app.paths import Paths
from tui.domain.incident import IncidentState
from tui.domain.runbook import Runbook
from tui.domain.status import IncidentStatus


class IncidentLookupError(Exception):
    """The incident or its runbook cannot be found; the message says which and what to do."""


@dataclass(frozen=True)
class FoundIncident:
    """An incident folder, its replayed state, and its runbook as it is on disk now."""

    folder: Path
    state: IncidentState
    runbook: Runbook
    runbook_bytes: bytes
    runbook_path: Path


def _user(actor: str) -> str:
    return actor.split("@", 1)[0]


def newest_resumable(paths: Paths, actor: str) -> Path:
    """The newest open incident this user opened that no live process holds."""
    for summary in list_incidents(paths.incidents_dir):
        state = summary.state
        if state.status is not IncidentStatus.OPEN or _user(state.opened_by) != _user(actor):
            continue
        lock = JournalLock(summary.path)
        try:
            lock.acquire()
        except JournalLockedError:
            continue
        lock.release()
        return summary.path
    raise IncidentLookupError(f"no open incident of {_user(actor)} to resume (rollback "
                              "incidents list shows them all; give an ID)")


def find_incident(reference: str | None, paths: Paths, actor: str,
                  runbook_override: str | None = None) -> FoundIncident:
    """The incident named (or the newest resumable one) with its runbook loaded."""
    if reference:
        try:
            folder = incident_dir(paths, reference)
        except ValueError as exc:
            raise IncidentLookupError(str(exc)) from None
        if not (folder / JOURNAL_FILE).is_file():
            known = [s.incident_id for s in list_incidents(paths.incidents_dir)][:5]
            hint = f" (recent: {', '.join(known)})" if known else " (there are no incidents yet)"
            raise IncidentLookupError(f"no incident {reference!r}{hint}")
    else:
        folder = newest_resumable(paths, actor)
    try:
        state, _ = load_state(folder)
    except JournalNotFoundError as exc:
        raise IncidentLookupError(str(exc)) from None
    path = _runbook_path(state, paths, runbook_override)
    result = validate_file(path)
    if result.runbook is None:
        raise IncidentLookupError("\n".join(result.messages()))
    return FoundIncident(folder, state, result.runbook, path.read_bytes(), path)


def _runbook_path(state: IncidentState, paths: Paths, override: str | None) -> Path:
    if override:
        try:
            return resolve(override, paths)
        except RunbookNotFound as exc:
            raise IncidentLookupError(str(exc)) from None
    source = Path(state.runbook_source) if state.runbook_source else None
    if source is not None and source.is_file():
        return source
    try:
        return resolve(str(state.runbook_id or ""), paths)
    except RunbookNotFound:
        raise IncidentLookupError(
            f"the runbook of incident {state.incident_id} ({state.runbook_id}, was "
            f"{state.runbook_source}) is not found — pass --runbook FILE with its original "
            "content") from None


def session_config(state: IncidentState, paths: Paths, settings: object,
                   args: argparse.Namespace, actor: str) -> object:
    """The session settings of an existing incident: its connection unless flags say otherwise."""
    from tui.session.core import SessionConfig

    opened = state.params or {}
    connection = state.connection
    return SessionConfig(
        incidents_dir=paths.incidents_dir,
        kubeconfig=getattr(args, "kubeconfig", None) or connection.get("kubeconfig")
        or getattr(settings, "kubeconfig", None),
        context=getattr(args, "context", None) or connection.get("context")
        or getattr(settings, "context", None),
        namespace=connection.get("namespace") or opened.get("namespace"),
        prometheus_url=getattr(args, "prometheus", None) or connection.get("prometheus_url")
        or getattr(settings, "prometheus_url", None),
        dry_run=state.dry_run, time_scale=float(connection.get("time_scale") or 1.0),
        environ=dict(os.environ), actor=actor, headless=True, drill=state.drill,
        confirmer=lambda _request: bool(getattr(args, "yes", False)), confirmed_by="--yes",
        key_folder=paths.config_file.parent)
