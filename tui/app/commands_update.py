"""`rollback incidents update ID [--template T] [--mark-sent | --send [WEBHOOK]] [--channel C]`:
a message of the seed filled from the incident, printed; journaled as sent by hand, or posted
to a webhook and journaled. The message goes to stdout alone, so it can be piped."""

from __future__ import annotations

import argparse
import sys
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parser(incidents: Any) -> None:
    """Register `incidents update` under the `incidents` subcommands."""
    from tui.domain.comms_catalog import STATUS_UPDATE, TEMPLATE_IDS

    update = incidents.add_parser(
        "update", help="a status update or notice filled from the incident (print, mark "
        "sent, or send to a webhook)",
        description="Fill one of the playbook's messages from the incident and print it. "
        "--mark-sent journals that you posted it by hand; --send posts it to a webhook from "
        "the settings file (or ROLLBACK_WEBHOOK_<NAME>_URL) and journals it.")
    update.add_argument("incident", metavar="ID")
    update.add_argument("--template", default=STATUS_UPDATE, metavar="TEMPLATE",
                        help=f"one of {', '.join(TEMPLATE_IDS)} (default {STATUS_UPDATE})")
    how = update.add_mutually_exclusive_group()
    how.add_argument("--mark-sent", action="store_true",
                     help="journal that the message was posted by hand")
    how.add_argument("--send", nargs="?", const="", metavar="WEBHOOK",
                     help="post it to this webhook (the only one when not named), journaled")
    update.add_argument("--channel", help="where it was posted (default: the runbook's "
                        "channel for this message; with --send, the webhook's name)")


def cmd_update(args: argparse.Namespace) -> int:
    """Print the filled message; with --mark-sent or --send, journal it as sent."""
    from tui.adapters.journal import actor_name
    from tui.adapters.webhooks import find
    from tui.app.config import load_settings
    from tui.app.incident_lookup import find_incident, session_config
    from tui.app.paths import resolve_paths
    from tui.domain.comms import template
    from tui.session.session import IncidentSession

    template(args.template)  # an unknown id is a usage error before anything is opened
    sending = args.send is not None
    if args.channel is not None and not (args.mark_sent or sending):
        raise ValueError("--channel goes with --mark-sent or --send")
    paths = resolve_paths()
    settings = load_settings(paths.config_file)
    actor = settings.actor or actor_name()
    found = find_incident(args.incident, paths, actor)
    config = session_config(found.state, paths, settings, argparse.Namespace(), actor)
    if args.mark_sent or sending:
        session = IncidentSession.resume(found.folder, found.runbook, found.runbook_bytes,
                                         config, announce=False, resolved_ok=True)
    else:  # printing changes nothing: no lock, so it works while the TUI holds the incident
        session = IncidentSession.follow(found.folder, found.runbook, config)
    session.comms_templates = paths.config_file.parent / "templates"
    try:
        draft = session.draft(args.template)
        webhook = find(args.send, session.webhooks(settings.webhooks)) if sending else None
        print(draft.text)
        if webhook is not None:
            delivery = session.send(args.template, draft.text, webhook, channel=args.channel or "")
            print(f"{session.incident_id}: {draft.title} {delivery.message}", file=sys.stderr)
        elif args.mark_sent:
            channel = args.channel or draft.channel
            session.mark_sent(args.template, draft.text, channel)
            print(f"{session.incident_id}: {draft.title} journaled as sent to {channel}",
                  file=sys.stderr)
    finally:
        session.close()
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    """Run `incidents update`, turning its errors into messages and exit codes."""
    from tui.adapters.comms_templates import CommsTemplateError
    from tui.adapters.webhooks import WebhookError
    from tui.session.communicating import DeliveryFailed

    try:
        return cmd_update(args)
    except DeliveryFailed as exc:
        print(f"rollback: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except (WebhookError, CommsTemplateError) as exc:
        print(f"rollback: {exc}", file=sys.stderr)
        return EXIT_USAGE
