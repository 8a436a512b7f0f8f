"""`rollback drill`: practice on the embedded drill cluster."""

from __future__ import annotations

import argparse
import gc
import os
import shlex
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tui.app import cli_values, drill_subcommands
from tui.app.paths import resolve_paths

if TYPE_CHECKING:
    from tui.app.drill_command import DrillCommands
    from tui.drill.cluster import DrillInfo
    from tui.drill.scenario import Scenario

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
RUNBOOK_HEADING = "The runbook for it, with this drill's values:"


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `rollback drill`."""
    drill = commands.add_parser(
        "drill", help="practice on the embedded drill cluster",
        description="Start the drill cluster for a scenario. --serve prints one JSON line "
                    "(kubeconfig, api, prometheus, apps, namespace, deployment, scenario, "
                    "params, run_command: the runbook's unattended run for bash -c, env: the "
                    "environment it needs) once ready and serves until interrupted.",
        epilog=drill_subcommands.epilog())
    drill_subcommands.install(drill)
    drill.add_argument("scenario", nargs="?", default="bad-release",
                       help="scenario id or file (default: bad-release)")
    drill.add_argument("--list", action="store_true",
                       help="list the scenarios: the user's (in the configuration folder's "
                            "scenarios/, e.g. ~/.config/rollback-tui/scenarios), then the "
                            "built-ins")
    drill.add_argument("--schema", action="store_true",
                       help="print the scenario format as JSON Schema, for editors")
    drill.add_argument("--serve", action="store_true", help="headless: the cluster only")
    drill.add_argument("--port", type=cli_values.port, default=0,
                       help="port (default: any free port)")
    drill.add_argument("--speed", type=cli_values.scale, default=1.0,
                       help="run scenario delays this many times faster "
                            f"({cli_values.SCALE_MIN:g} to {cli_values.SCALE_MAX:g}, default 1)")
    drill.add_argument("--seed", type=cli_values.whole_number(0, 2**63 - 1), default=0,
                       help="seed for names and timings")
    drill.add_argument("--parent-pid", type=cli_values.whole_number(0, cli_values.PID_MAX),
                       default=0, help=argparse.SUPPRESS)
    drill.add_argument("--orphan-grace", type=cli_values.bounded_float(0, 7 * 86400),
                       default=1800.0, help=argparse.SUPPRESS)
    drill.add_argument("--fault", action="append", default=[], metavar="FAULT",
                       help="inject a fault (repeatable): deny=VERB:RESOURCE, error-rate=0.2, "
                            "latency=200ms, drop-watches=30s, conflict-next-write, metrics-down")


def _list() -> int:
    from tui.drill.scenario import scenario_catalog

    folder = resolve_paths().scenarios_dir
    for entry in scenario_catalog(folder):
        origin = entry.origin + (", replaces the built-in" if entry.overrides else "")
        where = f"  [{origin}: {entry.path}]" if entry.origin == "user" else ""
        print(f"{entry.id:<22} {entry.description}{where}")
    return EXIT_OK


def _schema() -> int:
    import json

    from tui.drill.scenario import SCENARIO

    print(json.dumps({"$schema": "https://json-schema.org/draft/2020-12/schema",
                      "title": "rollback-tui drill scenario", **SCENARIO.json_schema()},
                     indent=2, ensure_ascii=False))
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    """Run the drill command."""
    if drill_subcommands.chosen(args):
        return drill_subcommands.run(args)
    if args.list:
        return _list()
    if args.schema:
        return _schema()
    from tui.drill.cluster import DrillCluster
    from tui.drill.faults import Faults
    from tui.drill.scenario import ScenarioError, find_scenario

    try:  # refused before a drill folder or a TUI exists
        for spec in args.fault:
            Faults().apply(spec)
    except ValueError as exc:
        print(f"rollback: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:  # every problem of the scenario file, before a drill folder or a TUI exists
        scenario = find_scenario(args.scenario, resolve_paths().scenarios_dir)
    except ScenarioError as exc:
        print(f"rollback: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from tui.app.launch import interactive

    if not args.serve and interactive():
        from tui.app import commands_tui

        return commands_tui.drill(args.scenario, speed=args.speed, faults=args.fault,
                                  seed=args.seed)
    from tui.adapters.journal import create_incident_dir

    # A folder of its own, made exclusively: two drills started in one second get -2, -3, ….
    _, folder = create_incident_dir(resolve_paths().data_dir / "drills", scenario.id,
                                    datetime.now(UTC))
    try:
        cluster = DrillCluster(scenario, folder=folder, port=args.port, speed=args.speed,
                               seed=args.seed, faults=args.fault)
    except ValueError as exc:
        print(f"rollback: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"rollback: cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return EXIT_USAGE
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    info = cluster.start()
    # The scenario's objects live as long as the drill: keep them out of the cyclic GC, whose
    # full collections would walk every pod (300-400 ms stalls of the API at 50,000 pods).
    gc.freeze()
    from tui.app.drill_command import drill_commands

    commands = drill_commands(str(scenario.data.get("runbook", "revert-deployment")),
                              info.extra.get("params", {}), info.kubeconfig, args.speed)
    try:
        if args.serve:
            # The same command a person is shown, for scripts: `env` holds its secrets.
            info.extra.update(run_command=commands.run_command(), env=commands.env)
            print(info.to_json(), flush=True)
        else:
            print(_instructions(info, commands, runbook_heading(scenario)), flush=True)
        orphaned: float | None = None
        while not stop.wait(0.5):
            # Started by the guided TUI: outlive a crash of it (so `rollback resume` can finish
            # the drill), but not forever.
            if args.parent_pid and not _alive(args.parent_pid):
                orphaned = orphaned or time.monotonic()
                if time.monotonic() - orphaned > args.orphan_grace:
                    break
    finally:
        cluster.stop()
    return EXIT_OK


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _database_lines(info: DrillInfo) -> str:
    """How to reach the drill's PostgreSQL, or why it is not running and what to do."""
    database = info.extra.get("database")
    if not database:
        return ""
    if "error" in database:
        return f"This drill's database is not running: {database['error']}\n\n"
    password = info.extra.get("params", {}).get("pgpassword", "")
    settings = {"PGHOST": database["host"], "PGPORT": str(database["port"]),
                "PGUSER": database["user"], "PGDATABASE": database["database"],
                "PGPASSWORD": password}
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in settings.items())
    return ("Its database, a throwaway PostgreSQL stopped with the drill "
            "(the release's migration applied):\n"
            f"  export {exports}\n"
            "  psql -c 'SELECT version FROM schema_migrations ORDER BY version'\n"
            f"  backup taken before the release: {database['backup_file']}\n"
            f"  down migration: {database['down_migration_file']}\n\n")


def decision_drill(scenario: Scenario) -> bool:
    """Whether the drill is about the decision itself: it has ground truth, and either its
    truth is not a rollback or it names no runbook (the revert-deployment fallback is then not
    the play)."""
    truth = scenario.truth
    return truth is not None and (
        "runbook" not in scenario.data or truth.get("decision", "ROLLBACK") != "ROLLBACK")


def runbook_heading(scenario: Scenario) -> str:
    """The line above the runbook command: a decision drill's is worded the same whatever
    the right call is, so it gives nothing away."""
    if decision_drill(scenario):
        return ("This drill is about the decision: assess first (roll back, fix forward or a "
                "workaround?).\n"
                "If you decide to roll back, the runbook would be, with this drill's values:")
    if "runbook" not in scenario.data:
        return "This scenario names no runbook; one to practise with, with this drill's values:"
    return RUNBOOK_HEADING


def _instructions(info: DrillInfo, commands: DrillCommands,
                  heading: str = RUNBOOK_HEADING) -> str:
    """What a trainee types next, with this drill's values filled in (shell-quoted)."""
    exports = "".join(f"  {line}\n" for line in commands.exports())
    return (
        f"Drill cluster for scenario {info.scenario} is up at {info.api}.\n\n"
        "In another terminal, practise with the real commands:\n"
        f"  export KUBECONFIG={shlex.quote(info.kubeconfig)}\n"
        "  alias kubectl=" + shlex.quote(
            f"kubectl --cache-dir {shlex.quote(str(info.extra.get('kubectl_cache_dir')))}")
        + "\n"
        "  kubectl get pods\n"
        f"  kubectl rollout history deployment/{info.deployment}\n"
        f"  curl -s {shlex.quote(info.prometheus + '/api/v1/query')} "
        "--data-urlencode 'query=service:http_requests_errors:ratio_rate5m'\n\n"
        f"{_database_lines(info)}"
        f"{heading}\n"
        f"  {commands.show_command()}\n"
        "or run it unattended against the drill"
        + (" (its secrets as environment first)" if exports else "") + ":\n"
        f"{exports}"
        f"  {commands.run_command()}\n\n"
        "Ctrl-C ends the drill.\n")
