"""`rollback follow ID`: an incident's timeline as it grows, read-only (the lock is never taken)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

EXIT_USAGE, EXIT_INTERRUPTED = 2, 130


def add_parser(commands: Any) -> None:
    """Register `rollback follow` on the top-level subparsers."""
    follow = commands.add_parser(
        "follow", help="print an incident's timeline as it grows (read-only)",
        description="Print the incident's timeline so far, then each event as it is journaled, "
                    "until the incident is resolved. Never takes the incident's lock: works "
                    "while another session runs it. Times are UTC.")
    follow.add_argument("incident", metavar="ID")
    follow.add_argument("--plain", action="store_true",
                        help="plain text lines (the default; kept for scripts to be explicit)")
    follow.add_argument("--tail", type=_count, metavar="N",
                        help="start with only the last N events so far (default: all)")


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of events, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more events, got {value}")
    return value


def run(args: argparse.Namespace) -> int:
    """Follow the incident until it is resolved (0), or Ctrl-C (130); unknown id: 2."""
    from tui.adapters.journal import JournalNotFoundError
    from tui.app.commands_incidents import incident_folder
    from tui.app.follow import Follower, replace_unencodable

    try:
        folder = incident_folder(args.incident)
    except (JournalNotFoundError, ValueError) as exc:
        print(f"rollback: {exc}", file=sys.stderr)
        return EXIT_USAGE
    replace_unencodable(sys.stdout)
    try:
        return Follower(folder, sys.stdout).run(tail=args.tail)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
