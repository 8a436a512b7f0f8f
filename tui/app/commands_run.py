"""`rollback run RUNBOOK`: execute a runbook (headless for now: `--headless --yes`)."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime

from tui.app import cli_values

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `rollback run`."""
    run = commands.add_parser(
        "run", help="execute a runbook against a cluster (headless: --headless --yes)",
        description="Open an incident and execute a runbook's steps, verifications and "
                    "checks, journaling every action. Exit 0 when every step and automatic "
                    "check passed, 1 when one failed (or a permission is missing), 2 on bad "
                    "input.")
    run.add_argument("runbook", metavar="RUNBOOK", help="runbook id or file")
    run.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                     help="parameter value (repeatable); secrets come from "
                          "ROLLBACK_PARAM_<NAME>")
    run.add_argument("--kubeconfig", help="kubeconfig file (default: like kubectl)")
    run.add_argument("--context", help="kubeconfig context")
    run.add_argument("-n", "--namespace", help="namespace (also fills the namespace parameter)")
    run.add_argument("--prometheus", metavar="URL", help="Prometheus base URL")
    run.add_argument("--dry-run", action="store_true",
                     help="change nothing: server-side dry runs, commands only shown")
    run.add_argument("--headless", action="store_true",
                     help="run unattended, print results (default: the guided TUI)")
    run.add_argument("--yes", action="store_true", help="confirm high-risk steps in advance")
    run.add_argument("--reason", default="", help="why the rollback was decided (journaled)")
    run.add_argument("--detected-at", metavar="TIME",
                     help="when the issue was detected (ISO-8601, UTC if no offset), for the "
                          "decision record's time lost")
    run.add_argument("--baseline-before", metavar="DURATION", default="15m",
                     help="the metric baseline is the hour ending this long ago, i.e. before "
                          "the release (default 15m)")
    run.add_argument("--json", action="store_true", help="JSON lines instead of text")
    run.add_argument("--check", action="append", default=[], metavar="ITEM_ID",
                     help="tick a manual checklist item as done (repeatable)")
    run.add_argument("--time-scale", type=cli_values.scale, default=1.0, metavar="X",
                     help="divide waits and timeouts by X (for drills run with --speed X; "
                          f"{cli_values.SCALE_MIN:g} to {cli_values.SCALE_MAX:g})")


def run(args: argparse.Namespace) -> int:
    """Resolve the runbook and its parameters, then run it."""
    # Imported here so that `rollback --help` loads none of it.
    from tui.app.commands_runbooks import UsageError, load_for_command
    from tui.app.config import ConfigError, load_settings
    from tui.app.launch import interactive
    from tui.app.paths import resolve_paths
    from tui.domain.durations import parse_duration

    if not args.headless and not interactive():
        print("rollback: the guided run needs a terminal; add --headless (and --yes for "
              "high-risk steps) to run unattended", file=sys.stderr)
        return EXIT_USAGE
    paths = resolve_paths()
    try:
        settings = load_settings(paths.config_file)
        path, runbook, given = load_for_command(args.runbook, args.param)
    except (UsageError, ConfigError) as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    # Command-line flags win over the settings file, which wins over kubectl's own defaults.
    args.kubeconfig = args.kubeconfig or settings.kubeconfig
    args.context = args.context or settings.context
    args.namespace = args.namespace or settings.namespace
    args.prometheus = args.prometheus or settings.prometheus_url
    if args.namespace and runbook.parameter("namespace") and "namespace" not in given:
        given["namespace"] = args.namespace
    if args.prometheus and runbook.parameter("prometheus_url") and "prometheus_url" not in given:
        given["prometheus_url"] = args.prometheus
    try:
        values = runbook.resolve_parameters(given, os.environ)
    except ValueError as exc:
        print(f"rollback: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if (refusal := kubeconfig_refusal(args.kubeconfig)) is not None:
        print(f"rollback: {refusal}", file=sys.stderr)
        return EXIT_USAGE
    detected_at = None
    if args.detected_at:
        try:
            detected_at = datetime.fromisoformat(args.detected_at)
        except ValueError:
            print(f"rollback: --detected-at {args.detected_at!r}: expected an ISO-8601 time "
                  "such as 2026-11-30T14:15:00Z", file=sys.stderr)
            return EXIT_USAGE
        if detected_at.tzinfo is None:
            detected_at = detected_at.replace(tzinfo=UTC)
    try:
        baseline_before = parse_duration(args.baseline_before)
    except ValueError as exc:
        print(f"rollback: --baseline-before: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not args.headless:
        from tui.app import commands_tui

        return commands_tui.run_runbook(path, given, args, settings)
    from tui.app.headless import RunOptions, run_headless
    from tui.session.core import SessionConfig

    config = SessionConfig(
        incidents_dir=paths.incidents_dir, kubeconfig=args.kubeconfig, context=args.context,
        namespace=args.namespace, prometheus_url=args.prometheus, dry_run=args.dry_run,
        time_scale=args.time_scale, baseline_end_ago=baseline_before,
        environ=dict(os.environ), actor=settings.actor, headless=True,
        confirmer=lambda _request: bool(args.yes), confirmed_by="--yes",
        key_folder=paths.config_file.parent)
    options = RunOptions(
        runbook=runbook, runbook_bytes=path.read_bytes(), values=values, config=config,
        yes=args.yes, reason=args.reason, json=args.json, checks=args.check,
        detected_at=detected_at)
    return run_headless(options)


def kubeconfig_refusal(kubeconfig: str | None) -> str | None:
    """Why the kubeconfig cannot be used (missing, malformed: file and line), checked before an
    incident opens; None when it looks usable."""
    from tui.adapters.kube_config import preflight
    from tui.adapters.kube_types import KubeError

    try:
        preflight(kubeconfig)
    except KubeError as exc:
        return str(exc)
    return None
