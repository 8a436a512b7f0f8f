"""The drill report: a drill's scorecard as an export document (measures, anti-patterns with
their evidence, the ground truth, the moments that cost time, what to practise), with what
every export states (incident, when made, the journal's head, DRAFT while open)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tui.domain.drill_score import score_drill
from tui.domain.drill_timing import duration_text
from tui.domain.exports import JournalHead, clock_text, header, utc_text
from tui.domain.incident import IncidentState, JournalEvent
from tui.domain.runbook import Runbook

DRILL_REPORT = "drill-report"
VERDICT_MARKS = {"met": "✓", "partial": "◐", "missed": "✗", "n/a": "–"}


def _evidence(items: Sequence[Any], day: str) -> list[dict[str, str]]:
    return [{"text": e.text, "at": clock_text(e.at, day) if e.at else "", "source": e.source}
            for e in items]


def drill_report_document(state: IncidentState, events: Sequence[JournalEvent],
                          runbook: Runbook | None, head: JournalHead, generated_at: datetime
                          ) -> dict[str, Any]:
    """The drill report's data (a provisional score while the drill is open)."""
    card = score_drill(state, events, runbook)
    day = (state.opened_at or "")[:10]
    truth = card.truth
    targets = [f"{t.get('namespace')}/{t.get('deployment')} at revision {t.get('revision')}"
               + (f" ({t['version']})" if t.get("version") else "")
               for t in truth.get("targets") or [] if isinstance(t, dict)]
    untouched = [f"{u.get('namespace')}/{u.get('deployment')}"
                 for u in truth.get("untouched") or [] if isinstance(u, dict)]
    return {
        **header(DRILL_REPORT, state, head, generated_at),
        "scenario": {"id": card.scenario_id, "description": card.scenario_description},
        "operator": card.operator, "speed": card.speed,
        "started_at_text": utc_text(card.started_at), "ended_at_text": utc_text(card.ended_at),
        "score": card.score, "max_score": card.max_score, "grade": card.grade,
        "provisional": not card.finished,
        "measures": [{"id": m.id, "title": m.title, "value": m.value, "target": m.target,
                      "verdict": m.verdict, "mark": VERDICT_MARKS[m.verdict],
                      "points": m.points, "max_points": m.max_points,
                      "evidence": _evidence(m.evidence, day)} for m in card.measures],
        "anti_patterns": [{"id": a.id, "title": a.title, "seed": a.seed, "penalty": a.penalty,
                           "evidence": _evidence(a.evidence, day)} for a in card.anti_patterns],
        "truth": {"known": bool(truth), "decision": truth.get("decision") or "",
                  "strategy": truth.get("strategy") or "", "severity": truth.get("severity")
                  or "", "restore_within": truth.get("restore_within") or "",
                  "targets": targets, "untouched": untouched, "why": truth.get("why") or ""},
        "moments": [{"at": clock_text(m.at, day), "lasted": duration_text(m.seconds),
                     "what": m.what} for m in card.moments],
        "practise": list(card.practise),
        "twists": [{"at": clock_text(t.get("journaled_at"), day),
                    "event": str(t.get("event", "")), "detail": str(t.get("detail", ""))}
                   for t in card.twists],
        "warnings": list(card.warnings),
        "scorecard": card.to_dict(),
    }
