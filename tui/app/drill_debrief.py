"""The debrief's seam to the scorer and the drill report: the TUI asks here, never the domain
directly, so the app runs (saying why) whether or not the scorer is in this build."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.domain.drill_scorecard import Scorecard
    from tui.domain.runbook import Runbook
    from tui.session.session import IncidentSession

SCORER = "tui.domain.drill_score"
REPORT = "drill-report"


def drill_scorecard(session: IncidentSession | None) -> Scorecard | str:
    """The session's drill scored from its journal, or a sentence saying why it cannot be."""
    if session is None:
        return "scoring unavailable: no incident is open (open a finished drill from the " \
            "start screen, then d)"
    state = session.snapshot()
    if not state.drill:
        return f"scoring unavailable: incident {session.incident_id} is not a drill " \
            "(only drills are scored)"
    try:
        from tui.domain.drill_score import score_drill
    except ImportError as exc:
        if exc.name != SCORER:
            raise
        return "scoring unavailable: this build has no drill scorer yet " \
            f"({SCORER}); the journal keeps everything it needs, so the score can be " \
            f"made later with `rollback drill score {session.incident_id}`"
    # The scorer is pure, but a bug in it must not take the operator's app down with it.
    try:
        return score_drill(state, session.journal_events(), session.runbook)
    except Exception as exc:  # noqa: BLE001 — shown to the operator, not swallowed
        return f"scoring unavailable: the scorer failed on incident {session.incident_id} " \
            f"({type(exc).__name__}: {exc}); `rollback drill score {session.incident_id}` " \
            "retries it"


def export_drill_report(folder: Path, runbook: Runbook | None) -> list[str] | str:
    """Write the drill report (every form it has) into the incident's exports folder: the
    paths written, or why not."""
    from tui.app.exports import ExportError, default_folder, export_files

    try:
        return [str(p) for p in export_files(folder, runbook, REPORT, "all",
                                             default_folder(folder))]
    except ExportError as exc:
        return str(exc)
