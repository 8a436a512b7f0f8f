"""`rollback resume [ID]`: continue an incident whose process died (SIGKILL, SSH drop, reboot),
and what `incidents check|note` share with it: finding the incident and its runbook again."""

from __future__ import annotations

import argparse
import os
import sys
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
from tui.app.paths import Paths, resolve_paths
from tui.domain.incident import IncidentState
from tui.domain.runbook import Runbook
from tui.domain.status import IncidentStatus

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


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


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `rollback resume`."""
    resume = commands.add_parser(
        "resume", help="continue an incident whose session ended (crash, SSH drop)",
        description="Continue an open incident exactly where its journal stands: parameters "
                    "(secrets re-read from ROLLBACK_PARAM_*), decision, frozen targets and "
                    "baselines, gates and step states. A step that was running when the "
                    "process died is re-checked: one that changes nothing runs again; one "
                    "whose effect is visible is marked done with that evidence; otherwise it "
                    "runs again only when confirmed; a point of no return never by itself.")
    resume.add_argument("incident", nargs="?", metavar="ID",
                        help="incident id (default: your newest open incident nobody holds)")
    resume.add_argument("--headless", action="store_true", help="continue unattended")
    resume.add_argument("--yes", action="store_true",
                        help="confirm high-risk steps and re-runs in advance")
    resume.add_argument("--json", action="store_true", help="JSON lines instead of text")
    resume.add_argument("--runbook", metavar="FILE",
                        help="the incident's runbook, when it moved (its content must match)")
    resume.add_argument("--rerun", action="append", default=[], metavar="STEP",
                        help="run this interrupted point-of-no-return step again")
    resume.add_argument("--skip", action="append", default=[], metavar="STEP=REASON",
                        help="skip a step, with the reason (journaled)")
    resume.add_argument("--check", action="append", default=[], metavar="ITEM_ID",
                        help="tick a manual checklist item as done (repeatable)")
    resume.add_argument("--kubeconfig", help="kubeconfig file (default: the incident's)")
    resume.add_argument("--context", help="kubeconfig context (default: the incident's)")
    resume.add_argument("--prometheus", metavar="URL", help="Prometheus base URL")


def run(args: argparse.Namespace) -> int:
    """Resume an incident (headless for now)."""
    from tui.adapters.journal import actor_name
    from tui.app.config import ConfigError, load_settings

    paths = resolve_paths()
    try:
        settings = load_settings(paths.config_file)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    actor = settings.actor or actor_name()
    try:
        found = find_incident(args.incident, paths, actor, args.runbook)
        skips = dict(_pair(text) for text in args.skip)
    except (IncidentLookupError, ValueError) as exc:
        print(f"rollback: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not args.headless:
        from tui.app import commands_tui

        return commands_tui.resume(found.folder.name)
    from tui.app.headless import RunOptions, run_headless

    config = session_config(found.state, paths, settings, args, actor)
    options = RunOptions(runbook=found.runbook, runbook_bytes=found.runbook_bytes,
                         values={}, config=config, yes=args.yes, json=args.json,
                         checks=args.check, resume=found.folder, rerun=args.rerun, skip=skips)
    return run_headless(options)


def _pair(text: str) -> tuple[str, str]:
    step, sep, reason = text.partition("=")
    if not sep or not step or not reason.strip():
        raise ValueError(f"--skip {text!r}: expected STEP=REASON")
    return step, reason


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
        confirmer=lambda _request: bool(getattr(args, "yes", False)), confirmed_by="--yes")
