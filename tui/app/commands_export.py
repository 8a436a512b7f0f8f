"""`rollback export ID --what … --format … [-o FILE|DIR]` and `rollback incidents verify ID
--export FILE`: an incident's documents from its journal, and checking one against it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# Kept here so `rollback --help` loads no domain module; a test holds them equal to the domain's.
DOCUMENT_CHOICES = ("checklist", "report", "decision", "timeline", "drill-report", "all")
FORMAT_CHOICES = ("md", "json", "html", "csv", "all")
SCHEMA_FILE = "export.schema.json"


def add_parser(commands: Any) -> None:
    """Register `rollback export` on the top-level subparsers."""
    export = commands.add_parser(
        "export", help="the verification checklist, incident report, decision record or "
                       "timeline as Markdown, JSON, HTML or CSV",
        description="Build an incident's documents from its journal alone. Without -o, one "
                    "document goes to standard output; -o FILE writes it there; -o DIR (or "
                    "--what/--format all) writes one file per document and format, by "
                    "default into the incident's exports/ folder. Each export states the "
                    "journal's hash-chain head: rollback incidents verify ID --export FILE "
                    "checks it. Templates can be overridden by files of the same name in "
                    "<config folder>/templates/.")
    export.add_argument("incident", metavar="ID", nargs="?")
    export.add_argument("--what", default="checklist", choices=DOCUMENT_CHOICES,
                        help="which document (default: checklist); drill-report: a "
                             "drill's scorecard (md, html; not part of all)")
    export.add_argument("--format", default="md", choices=FORMAT_CHOICES, dest="fmt",
                        help="md, json, html, csv (timeline and checklist) or all "
                             "(default: md)")
    export.add_argument("-o", "--output", metavar="FILE|DIR",
                        help="where to write (a folder for several documents)")
    export.add_argument("--schema", action="store_true",
                        help="print the JSON Schema of the JSON exports and exit")


def schema_path() -> Path:
    """The JSON Schema the JSON exports follow (shipped beside the runbook schema)."""
    from tui.app.catalog import builtin_dir

    return builtin_dir() / SCHEMA_FILE


def _runbook(folder: Path) -> Any:
    """The incident's runbook, or None (with a warning) when it cannot be found."""
    import hashlib

    from tui.app.incident_lookup import IncidentLookupError, find_incident
    from tui.app.paths import resolve_paths

    try:
        found = find_incident(folder.name, resolve_paths(), "")
    except IncidentLookupError as exc:
        print(f"rollback: warning: {exc}; the checklist lists only the items the journal "
              "recorded", file=sys.stderr)
        return None
    recorded = found.state.runbook_sha256
    if recorded and hashlib.sha256(found.runbook_bytes).hexdigest() != recorded:
        print(f"rollback: warning: {found.runbook_path} changed since the incident used it; "
              "its items are shown with the journal's marks", file=sys.stderr)
    return found.runbook


def run(args: argparse.Namespace) -> int:
    """Write or print the documents asked for; 2 for an unknown id or a format the document
    lacks, 1 when a file cannot be written."""
    if args.schema:
        sys.stdout.write(schema_path().read_text(encoding="utf-8"))
        return EXIT_OK
    if not args.incident:
        print("rollback: export needs an incident ID (rollback incidents list shows them)",
              file=sys.stderr)
        return EXIT_USAGE
    from tui.adapters.journal import JournalNotFoundError
    from tui.adapters.templates import TemplateProblem, template_dir
    from tui.app.commands_incidents import incident_folder
    from tui.app.exports import Exporter, ExportError, default_folder, plan
    from tui.app.paths import resolve_paths

    try:
        pairs = plan(args.what, args.fmt)
        folder = incident_folder(args.incident)
    except (ExportError, JournalNotFoundError, ValueError) as exc:
        print(f"rollback: {exc}", file=sys.stderr)
        return EXIT_USAGE
    templates = template_dir(resolve_paths().config_file.parent)
    exporter = Exporter.load(folder, _runbook(folder), templates=templates)
    try:
        if args.output is None and len(pairs) == 1:
            sys.stdout.write(exporter.text(*pairs[0]))
            return EXIT_OK
        destination = Path(args.output) if args.output else default_folder(folder)
        for path in exporter.write(pairs, destination):
            print(path)
    except TemplateProblem as exc:
        print(f"rollback: template {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ExportError as exc:
        print(f"rollback: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def verify_export(args: argparse.Namespace) -> int:
    """`incidents verify ID --export FILE`: 0 when the export's head is in the journal's chain
    (now or at an earlier line) and its text is what that line gives, 1 when not, 2 when FILE
    is no export."""
    from tui.adapters.templates import template_dir
    from tui.app.commands_incidents import incident_folder
    from tui.app.exports import check_export
    from tui.app.paths import resolve_paths

    folder = incident_folder(args.incident)
    templates = template_dir(resolve_paths().config_file.parent)
    result = check_export(folder, Path(args.export), _runbook(folder), templates)
    print(result.message, file=sys.stdout if result.ok else sys.stderr)
    if result.ok:
        return EXIT_OK
    return EXIT_USAGE if result.usage_error else EXIT_FAILED
