"""`rollback drill score ID [--json]` and `rollback drill history [--operator NAME] [--json]`:
the scorecard of a drill incident, and every drill's score with the trend of each measure."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.adapters.journal import (
    JOURNAL_FILE,
    JournalError,
    JournalLockedError,
    incident_dir,
    list_incidents,
    load_state,
    read_journal,
)
from tui.app.paths import Paths, resolve_paths
from tui.domain.drill_score import WEIGHTS, score_drill
from tui.domain.drill_scorecard import Scorecard
from tui.domain.drill_timing import duration_text
from tui.domain.incident import IncidentState, JournalEvent
from tui.domain.runbook import Runbook
from tui.domain.safe_text import plain

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
MARK = {"met": "✓", "partial": "◐", "missed": "✗", "n/a": "·"}


class DrillScoreError(Exception):
    """A drill that cannot be scored; the message says why and what to do."""

    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage  # the input was wrong (no such incident), not the drill


@dataclass(frozen=True)
class ScoredDrill:
    """One drill incident and its scorecard."""

    folder: Path
    card: Scorecard


def _runbook(folder: Path, paths: Paths) -> Runbook | None:
    from tui.app.incident_lookup import IncidentLookupError, find_incident

    try:
        return find_incident(folder.name, paths, "").runbook
    except IncidentLookupError:
        return None


def fetch_record(folder: Path, paths: Paths, state: IncidentState) -> dict[str, Any] | None:
    """Ask a drill that is still up for its record of changes, journaled when nobody else
    holds the incident (a live session's is only read); None when the drill does not answer."""
    from tui.app.incident_lookup import IncidentLookupError, find_incident, session_config
    from tui.session.session import IncidentSession, SessionError

    try:
        found = find_incident(folder.name, paths, "")
    except IncidentLookupError:
        return None
    config = session_config(state, paths, None, argparse.Namespace(), "")
    try:
        session = IncidentSession.resume(folder, found.runbook, found.runbook_bytes, config,
                                         announce=False, resolved_ok=True)
    except JournalLockedError:  # a live session holds it: read the record without journaling
        session = IncidentSession.follow(folder, found.runbook, config)
    except (SessionError, JournalError, OSError):
        return None
    try:
        return session.refresh_drill_record()
    finally:
        session.close()


def score_incident(reference: str, paths: Paths | None = None) -> ScoredDrill:
    """The scorecard of one drill incident (fetching its record from the drill if it is
    still up and none is journaled); DrillScoreError says why not."""
    paths = paths or resolve_paths()
    try:
        folder = incident_dir(paths, reference)
    except ValueError as exc:
        raise DrillScoreError(str(exc), usage=True) from None
    if not (folder / JOURNAL_FILE).is_file():
        raise DrillScoreError(f"no incident {reference!r} (rollback incidents list shows them)",
                              usage=True)
    state, _parsed = load_state(folder, live=True)
    if not (state.drill or state.drill_scenario is not None):
        raise DrillScoreError(f"incident {folder.name} is not a drill (it ran against "
                              f"{(state.cluster or {}).get('context') or 'a real cluster'}); "
                              "only drills are scored — start one with rollback drill")
    if state.drill_record is None:
        record = fetch_record(folder, paths, state)
        if record is None:
            raise DrillScoreError(
                f"drill {folder.name} has no journaled record of its cluster's changes and its "
                "drill cluster no longer answers, so improvised changes cannot be told — score "
                "a drill before stopping its cluster, or resolve it in the session")
        state, _parsed = load_state(folder, live=True)
        state.drill_record = state.drill_record or record
    events = read_journal(folder).events
    return ScoredDrill(folder, score_drill(state, events, _runbook(folder, paths)))


def scored_drills(paths: Paths, operator: str | None = None) -> list[ScoredDrill]:
    """Every drill incident in the incidents folder, oldest first, scored from its journal."""
    found: list[ScoredDrill] = []
    runbooks: dict[str, Runbook | None] = {}
    for summary in reversed(list_incidents(paths.incidents_dir)):
        state = summary.state
        if not (state.drill or state.drill_scenario is not None):
            continue
        if operator and _user(state.opened_by) != _user(operator):
            continue
        events: Sequence[JournalEvent] = read_journal(summary.path).events
        key = str(state.runbook_source or state.runbook_id)
        if key not in runbooks:
            runbooks[key] = _runbook(summary.path, paths)
        found.append(ScoredDrill(summary.path, score_drill(state, events, runbooks[key])))
    return found


def _user(actor: str) -> str:
    return actor.split("@", 1)[0]


def trends(cards: Sequence[Scorecard]) -> dict[str, dict[str, Any]]:
    """Per measure (and the score): first, latest and best points across the finished drills
    (an open drill's score is provisional: it would flatter or sink a trend)."""
    cards = [c for c in cards if c.finished]
    series: dict[str, list[int]] = {"score": [c.score for c in cards]}
    for measure_id in WEIGHTS:
        series[measure_id] = [m.points for c in cards if (m := c.measure(measure_id))
                              and m.verdict != "n/a"]
    return {key: {"first": values[0], "latest": values[-1], "best": max(values),
                  "drills": len(values)}
            for key, values in series.items() if values}


def scorecard_text(card: Scorecard) -> str:
    """The scorecard for a terminal."""
    status = "provisional: the drill is still open" if not card.finished else \
        f"ended {card.ended_at}"
    lines = [(f"Drill {card.incident_id} · scenario {plain(card.scenario_id) or '?'} · operator "
             f"{plain(card.operator)} · speed ×{card.speed:g}"),
             f"Score {card.score}/{card.max_score} · {card.grade} ({status})", "", "Measures"]
    for m in card.measures:
        lines.append(f"  {MARK[m.verdict]} {m.title:<17} {plain(m.value):<28} "
                     f"{m.points:>2}/{m.max_points:<3} {plain(m.target)}")
        lines += [f"        {plain(e.text, 200)}" for e in m.evidence]
    lines += ["", "Anti-patterns"]
    for a in card.anti_patterns:
        lines.append(f"  ✗ {a.title} (−{a.penalty}): {a.seed}")
        lines += [f"        {plain(e.text, 200)}" for e in a.evidence]
    if not card.anti_patterns:
        lines.append("  none")
    if card.truth:
        t = card.truth
        lines += ["", "Ground truth",
                  (f"  {t.get('decision', '?')} · strategy {t.get('strategy') or '—'} · "
                  f"severity {t.get('severity') or '—'}")]
        if t.get("why"):
            lines.append(f"  {plain(str(t['why']), 400)}")
    if card.moments:
        lines += ["", "Moments that cost time"]
        lines += [f"  {m.at[11:19]}  {duration_text(m.seconds):>7}  {plain(m.what, 200)}"
                  for m in card.moments]
    if card.practise:
        lines += ["", "Practise next"] + [f"  - {plain(p, 300)}" for p in card.practise]
    if card.warnings:
        lines += ["", "Warnings"] + [f"  ! {plain(w, 300)}" for w in card.warnings]
    return "\n".join(lines)


def history_text(drills: Sequence[ScoredDrill], operator: str | None) -> str:
    """The drills as a table, then the trend of each measure (first → latest, best)."""
    lines = [f"{'DATE':<17} {'SCENARIO':<16} {'OPERATOR':<18} {'SCORE':>5}  GRADE"]
    for drill in drills:
        c = drill.card
        score, grade = (f"{c.score:>5}", c.grade) if c.finished else \
            (f"{'—':>5}", f"open: not scored yet ({c.incident_id})")
        lines.append(f"{c.started_at[:16].replace('T', ' '):<17} {plain(c.scenario_id, 16):<16} "
                     f"{plain(c.operator, 18):<18} {score}  {grade}")
    lines += ["", "Trend" + (f" of {operator}" if operator else "") +
              " (points: first → latest, best)"]
    found = trends([d.card for d in drills])
    if not found:
        lines.append("  no finished drill yet")
    for key, t in found.items():
        top = 100 if key == "score" else WEIGHTS[key]
        lines.append(f"  {key:<17} {t['first']:>3} → {t['latest']:<3} best {t['best']}/{top} "
                     f"over {t['drills']} drill(s)")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """score INCIDENT, history: --json, --operator."""
    parser.add_argument("words", nargs="*", metavar="INCIDENT",
                        help="score: the drill incident's id (rollback drill history lists them)")
    parser.add_argument("--json", action="store_true", help="as JSON")
    parser.add_argument("--operator", metavar="NAME", help="history: only this operator's drills")


def run(args: argparse.Namespace) -> int:
    """`rollback drill score|history`."""
    words = list(getattr(args, "words", None) or [])
    if args.scenario == "score":
        if len(words) != 1:
            print("rollback: drill score needs one incident ID (rollback drill history lists "
                  "the drills)", file=sys.stderr)
            return EXIT_USAGE
        try:
            drill = score_incident(words[0])
        except DrillScoreError as exc:
            print(f"rollback: {exc}", file=sys.stderr)
            return EXIT_USAGE if exc.usage else EXIT_FAILED
        print(json.dumps(drill.card.to_dict(), indent=2, ensure_ascii=False) if args.json
              else scorecard_text(drill.card))
        return EXIT_OK
    if words:
        print(f"rollback: drill history takes no arguments (got {' '.join(words)})",
              file=sys.stderr)
        return EXIT_USAGE
    drills = scored_drills(resolve_paths(), args.operator)
    if args.json:
        print(json.dumps({"drills": [{"incident": d.card.incident_id, "folder": str(d.folder),
                                      "started_at": d.card.started_at,
                                      "scenario": d.card.scenario_id,
                                      "operator": d.card.operator, "score": d.card.score,
                                      "grade": d.card.grade, "finished": d.card.finished}
                                     for d in drills],
                          "trends": trends([d.card for d in drills])}, indent=2))
        return EXIT_OK
    if not drills:
        who = f" by {args.operator}" if args.operator else ""
        print(f"no drills{who} yet (rollback drill starts one)", file=sys.stderr)
        return EXIT_OK
    print(history_text(drills, args.operator))
    return EXIT_OK
