"""A resolved incident of the bad-release drill for the post-incident tests: the journal the
snapshots use, closed at 04:32:00, written with a fixed clock moved by `shift` seconds (so a
command-line test can place the resolution hours or days before the real now)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from widgets_scenario import (
    ACTOR,
    INCIDENT_ID,
    ROOT,
    epoch_at,
    execution_events,
    verification_events,
)

from tui.adapters.journal import JournalWriter
from tui.domain.runbook import Runbook, validate_runbook
from tui.session.core import SessionConfig, runbook_digest

RUNBOOK_PATH = ROOT / "runbooks" / "revert-deployment.yaml"
RESOLVED_AT = "04:32:00"


def runbook() -> Runbook:
    """The built-in revert-deployment runbook."""
    result = validate_runbook(RUNBOOK_PATH.read_bytes(), str(RUNBOOK_PATH))
    assert result.runbook is not None, result.problems
    return result.runbook


def events(*, resolved: bool = True) -> list[tuple[str, str, dict[str, Any]]]:
    """The drill's incident from opening to (optionally) resolution as PARTIAL."""
    items = execution_events() + verification_events()
    items[0][2].update(runbook_sha256=runbook_digest(RUNBOOK_PATH.read_bytes()),
                       runbook_source=str(RUNBOOK_PATH))
    items.append(("04:31:00", "check.recorded", {
        "item_id": "traffic_normal", "status": "pass", "automatic": True,
        "note": "request_rate 40.000 ≥ threshold 1.000"}))
    if resolved:
        items.append((RESOLVED_AT, "incident.resolved", {
            "outcome": "partial", "status": "PARTIAL", "verified_by": "alice",
            "summary": "PARTIAL — 1 item open"}))
    return items


def write_incident(home: Path, *, shift: float = 0.0, resolved: bool = True,
                   extra: list[tuple[str, str, dict[str, Any]]] = ()) -> Path:
    """Write the journal under `home`'s incidents folder; returns the incident folder."""
    folder = home / "data" / "incidents" / INCIDENT_ID
    moment = {"now": 0.0}
    writer = JournalWriter(folder, actor=ACTOR, clock=lambda: moment["now"]).open()
    for clock, kind, data in [*events(resolved=resolved), *extra]:
        moment["now"] = epoch_at(clock) + shift
        writer.append_durable(kind, data)
    writer.close()
    return folder


def config(folder: Path, **overrides: Any) -> SessionConfig:
    """Session settings for the incident (the operator as actor)."""
    return SessionConfig(incidents_dir=folder.parent, actor=ACTOR, **overrides)


def resolution_epoch() -> float:
    """When the unshifted incident was resolved (epoch seconds)."""
    return epoch_at(RESOLVED_AT)
