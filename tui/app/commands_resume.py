"""`rollback resume [ID]`: continue an incident whose process died (SIGKILL, SSH drop,
reboot)."""

from __future__ import annotations

import argparse
import sys

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


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
    from tui.app.incident_lookup import IncidentLookupError, find_incident, session_config
    from tui.app.paths import resolve_paths

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
