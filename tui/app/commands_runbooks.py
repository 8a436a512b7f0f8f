"""`rollback runbooks list|show|validate|schema`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tui.app.catalog import RunbookNotFound, catalog, resolve, validate_file
from tui.app.paths import resolve_paths
from tui.domain.runbook import Runbook
from tui.domain.safe_text import inert, inert_lines

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def parse_params(pairs: list[str]) -> dict[str, str]:
    """`NAME=VALUE` pairs into a dict; raises ValueError naming a malformed pair."""
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ValueError(f"-p {pair!r}: expected NAME=VALUE")
        values[name] = value
    return values


def load_for_command(reference: str, pairs: list[str]) -> tuple[Path, Runbook, dict[str, str]]:
    """The runbook a command names, valid, with its `-p` values; UsageError says what is wrong."""
    try:
        given = parse_params(pairs)
        path = resolve(reference, resolve_paths())
    except (ValueError, RunbookNotFound) as exc:
        raise UsageError(f"rollback: {exc}") from exc
    result = validate_file(path)
    if result.runbook is None:
        raise UsageError("\n".join(result.messages()))
    return path, result.runbook, given


class UsageError(Exception):
    """Bad input for a command: the message is printed as it is, and the exit code is 2."""


def cmd_list(args: argparse.Namespace) -> int:
    """Print the runbooks found."""
    rows = []
    for entry in catalog(resolve_paths()):
        result = validate_file(entry.path)
        book = result.runbook
        rows.append({
            "id": book.id if book else entry.path.stem,
            "strategy": book.strategy if book else "-",
            "title": book.title if book else f"INVALID: {len(result.problems)} problem(s)",
            "version": book.version if book else "-",
            "origin": entry.origin,
            "path": str(entry.path),
            "valid": book is not None,
        })
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return EXIT_OK
    id_width = max([len(r["id"]) for r in rows] + [2])
    st_width = max([len(r["strategy"]) for r in rows] + [8])
    print(f"{'ID':<{id_width}}  {'STRATEGY':<{st_width}}  {'ORIGIN':<7}  TITLE")
    for r in rows:
        print(inert(f"{r['id']:<{id_width}}  {r['strategy']:<{st_width}}  {r['origin']:<7}  "
                    f"{r['title']}"))
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    """Print one runbook with its parameters filled in."""
    from tui.domain.runbook_text import render_runbook

    try:
        _, runbook, given = load_for_command(args.runbook, args.param)
    except UsageError as exc:
        print(inert_lines(str(exc)), file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(inert_lines(render_runbook(runbook, given)))
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate files (or every known runbook); exit 2 if any problem."""
    files = [Path(f) for f in args.files] or [e.path for e in catalog(resolve_paths())]
    problems = 0
    for path in files:
        result = validate_file(path)
        for message in result.messages():
            print(message)
        problems += len(result.problems)
        if result.ok:
            print(f"{path}: ok ({result.runbook.id}, {len(result.runbook.steps)} steps)",
                  file=sys.stderr)
    bad = "no problems" if not problems else f"{problems} problem(s)"
    print(f"{len(files)} file(s) checked, {bad}", file=sys.stderr)
    return EXIT_USAGE if problems else EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema."""
    from tui.domain.runbook_schema import json_schema

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    """Dispatch a `runbooks` subcommand."""
    handlers = {"list": cmd_list, "show": cmd_show, "validate": cmd_validate,
                "schema": cmd_schema}
    return handlers[args.subcommand](args)
