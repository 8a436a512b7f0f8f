"""`rollback incidents list|show|verify`: read-only views of incident journals."""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from tui.adapters.journal import (
    JOURNAL_FILE,
    JournalNotFoundError,
    incident_dir,
    list_incidents,
    load_state,
    writer_is_live,
)
from tui.adapters.journal_key import (
    JournalKeyError,
    key_exposure,
    load_key,
    recorded_seal,
    seal_record_path,
)
from tui.app.paths import resolve_paths
from tui.domain.incident import IncidentState, ParsedJournal, TornTail
from tui.domain.journal_auth import JournalKey, Verdict, verify_journal
from tui.domain.safe_text import inert, inert_lines, plain
from tui.domain.timeline import describe

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
TIMELINE_EVENTS = 20  # `show` is a summary; `rollback follow` prints the whole timeline


def incident_folder(incident_id: str) -> Path:
    """The folder of an existing incident; JournalNotFoundError names the nearest ids."""
    paths = resolve_paths()
    folder = incident_dir(paths, incident_id)
    if not (folder / JOURNAL_FILE).is_file():
        hint = _suggestion(incident_id, paths.incidents_dir)
        raise JournalNotFoundError(f"no incident {incident_id!r}{hint}")
    return folder


def _suggestion(incident_id: str, root: Path) -> str:
    """` (nearest: …)`, else ` (recent: …)`, else a note that there are none."""
    known = sorted((journal.parent.name for journal in root.glob(f"*/{JOURNAL_FILE}")),
                   reverse=True)
    nearest = difflib.get_close_matches(incident_id, known, n=3, cutoff=0.6)
    if nearest:
        return f" (nearest: {', '.join(nearest)})"
    return f" (recent: {', '.join(known[:5])})" if known else " (there are no incidents yet)"


def cmd_list(args: argparse.Namespace, now: datetime | None = None) -> int:
    """Print incidents, newest first (resolved ones with their report/postmortem deadlines
    as of `now`, the real time unless given)."""
    from tui.domain.postmortem import deadline_line, state_deadlines

    paths = resolve_paths()
    try:
        key = load_key(paths.config_file.parent)
    except JournalKeyError:
        key = None  # `list` still lists; `verify` says what is wrong with the key
    summaries = list_incidents(paths.incidents_dir, key)
    now = now or datetime.now(UTC)
    if args.json:
        for s in summaries:
            print(json.dumps({"id": s.incident_id, "title": s.state.title,
                              "runbook": s.state.runbook_id, "status": s.state.status,
                              "opened_at": s.state.opened_at, "events": s.state.event_count,
                              "drill": s.state.drill, "intact": s.intact,
                              "torn_tail": _torn_dict(s.torn_tail),
                              "deadlines": [d.to_dict() for d in state_deadlines(s.state, now)]}))
        return EXIT_OK
    if not summaries:
        print("no incidents yet", file=sys.stderr)
        return EXIT_OK
    width = max(len(s.incident_id) for s in summaries)
    print(f"{'ID':<{width}}  {'STATUS':<8}  {'EVENTS':>6}  {'RUNBOOK':<22}  TITLE")
    for s in summaries:
        status = s.state.status + ("" if s.intact else "!")
        title = s.state.title + (" (drill)" if s.state.drill else "")
        if s.state.resolved_at:
            title += f"  [{deadline_line(state_deadlines(s.state, now), now)}]"
        if s.torn_tail is not None:
            title += f"  [torn last line: {s.torn_tail.length} bytes]"
        print(inert(f"{s.incident_id:<{width}}  {status:<8}  {s.state.event_count:>6}  "
                    f"{(s.state.runbook_id or '-'):<22}  {title}"))
    return EXIT_OK


def _torn_dict(torn: TornTail | None) -> dict[str, object] | None:
    """A torn last line as `list --json` states it."""
    if torn is None:
        return None
    return {"offset": torn.offset, "length": torn.length, "reason": torn.reason}


def render_state(state: IncidentState, parsed: ParsedJournal) -> str:
    """The incident as text: summary, steps, checks, notes, last events."""
    lines = [f"{state.incident_id}  {state.title}" + ("  [drill]" if state.drill else ""),
             f"status {state.status}" + (f" ({state.outcome})" if state.outcome else "")
             + f" · opened {state.opened_at or '?'}"
             + (f" · resolved {state.resolved_at}" if state.resolved_at else ""),
             (f"runbook {state.runbook_id or '-'} · severity {state.severity or '-'} · "
             f"{state.event_count} events")]
    if state.params:
        lines.append("parameters: " + ", ".join(f"{k}={v}" for k, v in state.params.items()))
    if state.interrupted:
        lines.append("the last run was interrupted (Ctrl-C): check the cluster before re-running")
    if state.decision:
        lines.append(f"decision: {state.decision.get('decision', '?')}"
                     + (f" — {state.decision['rationale']}" if state.decision.get('rationale')
                        else ""))
    if state.steps:
        lines += ["", "Steps"]
        for step in state.steps.values():
            note = "  (check before re-running)" if step.status == "interrupted" else ""
            detail = f" — {step.detail}" if step.detail else ""
            lines.append(f"  {step.status:<11} {step.step_id}  {step.title}{detail}{note}")
    if state.checks:
        lines += ["", "Checklist"]
        lines += [f"  {status:<5} {item}" for item, status in state.checks.items()]
    if state.notes:
        lines += ["", "Notes"]
        lines += [f"  {n.ts}  {n.actor}: {n.text}" for n in state.notes]
    shown = parsed.events[-TIMELINE_EVENTS:]
    lines += ["", f"Timeline (UTC; last {len(shown)} of {len(parsed.events)} events)"
              if len(shown) < len(parsed.events) else "Timeline (UTC)"]
    lines += [f"  {describe(event).line()}" for event in shown]
    if len(shown) < len(parsed.events):
        lines.append(f"  (all of it: rollback follow {plain(str(state.incident_id or 'ID'))})")
    if parsed.torn_tail:
        lines.append(f"  (a torn last line of {parsed.torn_tail.length} bytes was ignored: "
                     f"{parsed.torn_tail.reason})")
    for problem in parsed.problems:
        lines.append(f"  problem at line {problem.line}: {problem.reason}")
    return "\n".join(lines) + "\n"


def cmd_show(args: argparse.Namespace) -> int:
    """Print one incident."""
    state, parsed = load_state(incident_folder(args.incident))
    sys.stdout.write(inert_lines(render_state(state, parsed)))
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    """Check the chain, every line's MAC and the seal; exit 1 naming the first bad line."""
    if getattr(args, "export", None):
        from tui.app.commands_export import verify_export

        return verify_export(args)
    folder = incident_folder(args.incident)
    path = folder / JOURNAL_FILE
    config_dir = resolve_paths().config_file.parent
    try:
        key = load_key(config_dir)
    except JournalKeyError as exc:
        print(f"{path}: FAILED: cannot check its MACs: {exc}")
        return EXIT_FAILED
    live = writer_is_live(folder)
    noted = recorded_seal(seal_record_path(config_dir, folder.name))
    verdict = verify_journal(path.read_bytes(), key, live=live, noted_seal=noted)
    print(verdict_text(str(path), verdict, key, live))
    exposure = key_exposure(config_dir) if key is not None else None
    if exposure:
        print(exposure)
    return EXIT_OK if verdict.ok else EXIT_FAILED


def verdict_text(path: str, verdict: Verdict, key: JournalKey | None, live: bool) -> str:
    """What `incidents verify` prints for a verdict (one line, two with a warning)."""
    if verdict.bad_line is not None:
        return f"{path}:{verdict.bad_line}: FAILED: {verdict.reason}"
    if not verdict.ok:
        return f"{path}: {verdict.reason} ({verdict.lines} lines, chain intact)"
    assert key is not None
    text = (f"{path}: OK, {verdict.lines} lines, chain intact, every line authenticated by "
            f"this installation's key {key.key_id}")
    if verdict.unauthenticated:
        text += (f" (lines 1-{verdict.unauthenticated} were written before the key and are "
                 f"pinned by line {verdict.unauthenticated + 1}'s MAC)")
    if verdict.sealed:
        text += f"; sealed at line {verdict.lines}: nothing altered, added or removed"
    else:
        text += (f"; being written by a live session, not sealed yet: lines after "
                 f"{verdict.lines} cannot be proved absent until it closes")
    text += f"; last line hash {verdict.last_hash}"
    if verdict.torn_tail and live:
        text += (f"\nwarning: torn last line ignored ({verdict.torn_tail.length} bytes at "
                 f"offset {verdict.torn_tail.offset}: {verdict.torn_tail.reason})")
    return text


def _attach(incident: str):
    """Open an existing incident for a one-off change (a tick, a note)."""
    from tui.adapters.journal import actor_name
    from tui.app.config import load_settings
    from tui.app.incident_lookup import find_incident, session_config
    from tui.session.session import IncidentSession

    paths = resolve_paths()
    settings = load_settings(paths.config_file)
    actor = settings.actor or actor_name()
    found = find_incident(incident, paths, actor)
    config = session_config(found.state, paths, settings, argparse.Namespace(), actor)
    return IncidentSession.resume(found.folder, found.runbook, found.runbook_bytes, config,
                                  announce=False)


def cmd_check(args: argparse.Namespace) -> int:
    """Tick (or untick) a manual checklist item; resolve when nothing is left open."""
    session = _attach(args.incident)
    try:
        status = session.tick(args.item, checked=not args.uncheck, note=args.note)
        print(f"{session.incident_id}: {args.item} {status}"
              + (f" — {args.note}" if args.note else ""))
        resolved = None if args.uncheck else session.resolve_if_complete()
        summary = session.status()
        if resolved is not None:
            print(f"{session.incident_id} resolved: {summary.sentence()}")
        else:
            print(f"{session.incident_id} stays open: {summary.sentence()}")
    finally:
        session.close()
    return EXIT_OK


def cmd_note(args: argparse.Namespace) -> int:
    """Add a note to an incident."""
    session = _attach(args.incident)
    try:
        session.note(args.text)
        print(f"{session.incident_id}: note added")
    finally:
        session.close()
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    """Dispatch an `incidents` subcommand."""
    from tui.adapters.journal import JournalError
    from tui.app import commands_update
    from tui.app.commands_postmortem import cmd_postmortem
    from tui.app.config import ConfigError
    from tui.app.incident_lookup import IncidentLookupError
    from tui.session.core import SessionError

    handlers = {"list": cmd_list, "show": cmd_show, "verify": cmd_verify, "check": cmd_check,
                "note": cmd_note, "postmortem": cmd_postmortem,
                "update": commands_update.run}
    try:
        return handlers[args.subcommand](args)
    except (JournalNotFoundError, ValueError, IncidentLookupError, SessionError,
            ConfigError) as exc:
        print(f"rollback: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except JournalError as exc:
        print(f"rollback: {exc}", file=sys.stderr)
        return EXIT_FAILED
