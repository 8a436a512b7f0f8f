"""`rollback incidents postmortem ID [CHANGE …]`: the post-incident record from the command
line — shown with its deadlines, or changed one section at a time (journaled as the actor).

Only the parser is built on `rollback --help`; the journal and the session load when the
command runs (`rollback incidents` dispatches here and reports errors: exit 2 for bad input).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from tui.domain import postmortem as pm

EXIT_OK = 0

EXAMPLES = """\
examples:
  rollback incidents postmortem ID                      the record and its deadlines
  rollback incidents postmortem ID why "The pool was exhausted"
  rollback incidents postmortem ID cause technology "No contract test for the client"
  rollback incidents postmortem ID lesson went-well "Rolled back in 4 minutes"
  rollback incidents postmortem ID action "Add a contract test" --owner bob --due 2026-12-04
  rollback incidents postmortem ID action-done 1
  rollback incidents postmortem ID prevention "Enhanced pre-release testing"
  rollback incidents postmortem ID criterion code-review
  rollback incidents postmortem ID set root-cause "…"   (TEXT - reads standard input)
  rollback incidents postmortem ID remove why 2
  rollback incidents postmortem ID tick incident_report the report is written (24 h)
  rollback incidents postmortem ID complete             the postmortem is done (48 h)
"""


def _names(keys: Any) -> str:
    return "|".join(k.replace("_", "-") for k in keys)


def add_parser(incidents: Any) -> None:
    """`postmortem` under `rollback incidents`."""
    parser = incidents.add_parser(
        "postmortem", help="the post-incident record: five whys, causes, lessons, action "
        "items, prevention, re-release criteria; report and postmortem deadlines",
        description="Show or write an incident's post-incident record (the report's written "
        "parts, five whys, fishbone causes, lessons learned, action items, prevention, "
        "re-release criteria). Each change is journaled. The incident report is due 24 h and "
        "the postmortem 48 h after the incident was resolved.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("incident", metavar="ID")
    parser.add_argument("--json", action="store_true", help="show the record and deadlines "
                        "as JSON")
    changes = parser.add_subparsers(dest="change", metavar="CHANGE")
    changes.add_parser("why", help="add the next answer to 'Why?' (the last is the root "
                       "cause)").add_argument("text", metavar="TEXT")
    cause = changes.add_parser("cause", help="add a cause under a fishbone category")
    cause.add_argument("category", metavar=_names(pm.FISHBONE_CATEGORIES))
    cause.add_argument("text", metavar="TEXT")
    lesson = changes.add_parser("lesson", help="add a lesson learned")
    lesson.add_argument("kind", metavar=_names(pm.LESSON_KINDS))
    lesson.add_argument("text", metavar="TEXT")
    action = changes.add_parser("action", help="add an action item with owner and due date")
    action.add_argument("text", metavar="TEXT")
    action.add_argument("--owner", required=True, metavar="NAME")
    action.add_argument("--due", required=True, metavar="YYYY-MM-DD")
    done = changes.add_parser("action-done", help="mark action item N done")
    done.add_argument("number", metavar="N", type=int)
    done.add_argument("--undo", action="store_true", help="mark it open again")
    changes.add_parser("prevention", help="add a prevention measure").add_argument(
        "text", metavar="TEXT")
    criterion = changes.add_parser("criterion", help="tick a re-release criterion")
    criterion.add_argument("criterion", metavar="CRITERION",
                           help=_names(k for k, _ in pm.RE_RELEASE_CRITERIA))
    criterion.add_argument("--uncheck", action="store_true", help="untick it")
    text = changes.add_parser("set", help="write one of the report's text sections")
    text.add_argument("section", metavar="SECTION", help=_names(pm.TEXT_SECTIONS))
    text.add_argument("text", metavar="TEXT", help="the text; - reads it from standard input")
    remove = changes.add_parser(
        "remove", help="take an entry out: why N, cause CATEGORY N, lesson KIND N, action N, "
        "prevention N")
    remove.add_argument("entry", nargs="+", metavar="WHAT")
    tick = changes.add_parser("tick", help="tick a post-rollback action (incident_report "
                              "when the report is written)")
    tick.add_argument("item", metavar="ITEM")
    tick.add_argument("--uncheck", action="store_true", help="mark it open again")
    tick.add_argument("--note", default="", help="a note kept with the tick")
    complete = changes.add_parser("complete", help="mark the postmortem complete")
    complete.add_argument("--reopen", action="store_true", help="mark it a draft again")


def _remove(session: Any, words: list[str]) -> Any:
    """`why 2`, `cause people 1`, `lesson went-well 1`, `action 3`, `prevention 1`."""
    usage = ("remove takes why N, cause CATEGORY N, lesson KIND N, action N or prevention N "
             f"(categories: {_names(pm.FISHBONE_CATEGORIES)}; kinds: "
             f"{_names(pm.LESSON_KINDS)})")
    lists = {"why": "five_whys", "action": "action_items", "prevention": "prevention"}
    head, rest = words[0], words[1:]
    try:
        number = int(rest[-1]) - 1 if rest else None
    except ValueError:
        number = None
    if number is None or (head in lists and len(rest) != 1) or \
            (head in ("cause", "lesson") and len(rest) != 2):
        raise ValueError(usage)
    if head in lists:
        return session.remove_entry(lists[head], number)
    if head == "cause":
        return session.remove_entry("fishbone", number, category=rest[0])
    if head == "lesson":
        return session.remove_entry(pm.lesson_section(rest[0]), number)
    raise ValueError(usage)


def _change(session: Any, args: argparse.Namespace) -> str:
    """Make the change; returns what to say."""
    change = args.change
    if change == "why":
        return f"why {len(session.add_why(args.text))} added"
    if change == "cause":
        session.add_cause(args.category, args.text)
        return f"{pm.fishbone_category(args.category)} cause added"
    if change == "lesson":
        return f"lesson {len(session.add_lesson(args.kind, args.text))} added"
    if change == "action":
        return f"action item {len(session.add_action_item(args.text, args.owner, args.due))} " \
               "added"
    if change == "action-done":
        session.set_action_done(args.number - 1, not args.undo)
        return f"action item {args.number} {'open again' if args.undo else 'done'}"
    if change == "prevention":
        return f"prevention measure {len(session.add_prevention(args.text))} added"
    if change == "criterion":
        session.set_criterion(args.criterion, not args.uncheck)
        return f"{pm.criterion_id(args.criterion)} {'unticked' if args.uncheck else 'ticked'}"
    if change == "set":
        name = pm.text_section(args.section)
        session.set_text(name, sys.stdin.read() if args.text == "-" else args.text)
        return f"{name} written"
    if change == "remove":
        _remove(session, args.entry)
        return f"{' '.join(args.entry[:-1])} {args.entry[-1]} removed"
    if change == "tick":
        session.tick_post_rollback(args.item, not args.uncheck, args.note)
        return f"{args.item} {'open again' if args.uncheck else 'ticked'}"
    return f"postmortem {session.complete_postmortem(not args.reopen)}"


def _attach(incident: str) -> Any:
    """Open the incident for post-incident writing, as the configured actor."""
    from tui.adapters.journal import actor_name
    from tui.app.config import load_settings
    from tui.app.incident_lookup import find_incident, session_config
    from tui.app.paths import resolve_paths
    from tui.session.session import IncidentSession

    paths = resolve_paths()
    settings = load_settings(paths.config_file)
    actor = settings.actor or actor_name()
    found = find_incident(incident, paths, actor)
    config = session_config(found.state, paths, settings, argparse.Namespace(), actor)
    return IncidentSession.attach_post_incident(found.folder, found.runbook, config)


def cmd_postmortem(args: argparse.Namespace) -> int:
    """Show the record, or make one change and say so with the deadlines after it (errors
    are raised for `rollback incidents` to report)."""
    from tui.adapters.journal import load_state
    from tui.app.commands_incidents import incident_folder
    from tui.domain.postmortem_text import record_json, record_text

    said = ""
    if args.change is not None:
        session = _attach(args.incident)
        try:
            said = f"{session.incident_id}: {_change(session, args)}"
        finally:
            session.close()
    state, _ = load_state(incident_folder(args.incident))
    now = datetime.now(UTC)
    if args.json:
        print(json.dumps(record_json(state, now), ensure_ascii=False))
    elif said:
        print(said)
        print(pm.deadline_line(pm.state_deadlines(state, now), now))
    else:
        sys.stdout.write(record_text(state, now))
    return EXIT_OK
