"""`rollback drill twist INCIDENT EVENT`: a facilitator fires a twist in a running drill.

The incident's journal says which cluster it works on (kubeconfig and context); the drill
serves its admin API on that same connection, so the twist is posted there. The session
working the incident journals it when it next looks (`drill.twist`).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """INCIDENT EVENT, or --list."""
    parser.add_argument("incident", nargs="?", metavar="INCIDENT",
                        help="the drill incident's id (rollback incidents list)")
    parser.add_argument("event", nargs="?", metavar="EVENT",
                        help="the twist, e.g. prometheus-down or user-reports=3")
    parser.add_argument("--list", action="store_true", help="print the catalogue of twists")


def catalogue_text() -> str:
    """The catalogue, one twist a line."""
    from tui.drill.twists import CATALOGUE

    width = max(len(kind.usage) for kind in CATALOGUE)
    return "\n".join(f"{kind.usage:<{width}}  {kind.summary}" for kind in CATALOGUE)


def run(args: argparse.Namespace) -> int:
    """Fire the twist (or print the catalogue); exit 2 for wrong input, 1 when it failed."""
    if args.list:
        print(catalogue_text())
        return EXIT_OK
    if not args.incident or not args.event:
        print("rollback: drill twist needs INCIDENT and EVENT (e.g. rollback drill twist "
              "20261130-101500-revert-deployment prometheus-down); --list shows the twists",
              file=sys.stderr)
        return EXIT_USAGE
    from tui.drill.twists import TwistError, parse_event

    try:
        parse_event(args.event)
    except TwistError as exc:
        print(f"rollback: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        fired = fire(args.incident, args.event)
    except TwistRefused as exc:
        print(f"rollback: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"twist #{fired.get('seq')} {fired.get('event')} fired at "
          f"{fired.get('fired_at')}: {fired.get('detail')}")
    return EXIT_OK


class TwistRefused(Exception):
    """The twist could not be fired; the message says why and what to do."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def fire(incident_id: str, event: str) -> dict[str, Any]:
    """POST the twist to the drill cluster of `incident_id`; TwistRefused if it cannot be."""
    from tui.adapters.drill_link import DrillLink, DrillLinkError
    from tui.adapters.journal import JournalNotFoundError, load_state
    from tui.adapters.kube import Kube
    from tui.adapters.kube_types import KubeError
    from tui.app.commands_incidents import incident_folder

    try:
        folder = incident_folder(incident_id)
        state, _ = load_state(folder)
    except (ValueError, JournalNotFoundError) as exc:
        raise TwistRefused(str(exc), EXIT_USAGE) from None
    if not state.drill:
        raise TwistRefused(f"incident {incident_id} is not a drill (it works on "
                           f"{(state.cluster or {}).get('context') or 'a real cluster'}): twists "
                           "exist only in drills (rollback drill)", EXIT_USAGE)
    connection = state.connection or {}
    try:
        kube = Kube.connect(connection.get("kubeconfig"), connection.get("context"),
                            request_timeout=10.0)
    except (KubeError, OSError) as exc:
        raise TwistRefused(f"cannot reach the drill of incident {incident_id}: {exc}; is the "
                           "drill still running?", EXIT_FAILED) from None
    try:
        answer = DrillLink(kube.api_client).post("/drill/twists",
                                                 {"event": event, "source": "facilitator"})
    except DrillLinkError as exc:
        raise TwistRefused(f"twist {event} not fired in incident {incident_id}: {exc}",
                           EXIT_FAILED) from None
    finally:
        kube.close()
    if not isinstance(answer, dict):
        raise TwistRefused(f"the drill of incident {incident_id} answered the twist with "
                           f"{type(answer).__name__}, not the fired twist; is it a drill?",
                           EXIT_FAILED)
    return answer
