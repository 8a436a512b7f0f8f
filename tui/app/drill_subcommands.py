"""`rollback drill SUBCOMMAND …` beside `rollback drill [SCENARIO]`.

`rollback drill` takes a scenario as its first word; a first word that names a subcommand
(`twist`, …) hands the rest of the line to that subcommand's own parser instead, so each
subcommand has its own arguments and `--help`. A subcommand is a module with
`add_arguments(parser)` and `run(args) -> int`, listed in SUBCOMMANDS.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence
from typing import Any

# name -> (module, one-line help). Registered here, imported only when the line names them.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "twist": ("tui.app.commands_drill_twist",
              "fire a twist in a running drill (--list: the catalogue)"),
    "score": ("tui.app.commands_drill_score",
              "score INCIDENT [--json]: a drill incident's scorecard"),
    "history": ("tui.app.commands_drill_score",
                "history [--operator NAME] [--json]: past drills and each measure's trend"),
}


def epilog() -> str:
    """The subcommands, for `rollback drill --help` (one paragraph: argparse wraps it)."""
    listed = "; ".join(f"rollback drill {name}: {text}" for name, (_, text) in
                       SUBCOMMANDS.items())
    return f"Subcommands (each with --help): {listed}."


def install(drill: argparse.ArgumentParser) -> None:
    """Make `drill` hand a line whose first word is a subcommand to that subcommand."""
    original = drill.parse_known_args
    parser_class = type(drill)

    def parse_known_args(args: Sequence[str] | None = None,
                         namespace: argparse.Namespace | None = None
                         ) -> tuple[argparse.Namespace, list[str]]:
        words = list(args or [])
        if not words or words[0] not in SUBCOMMANDS:
            return original(words, namespace)
        name = words[0]
        module, text = SUBCOMMANDS[name]
        sub = parser_class(prog=f"{drill.prog} {name}", description=text)
        importlib.import_module(module).add_arguments(sub)
        parsed = sub.parse_args(words[1:], namespace)
        parsed.scenario, parsed.drill_subcommand = name, name
        return parsed, []

    drill.parse_known_args = parse_known_args  # type: ignore[method-assign]


def chosen(args: argparse.Namespace) -> str | None:
    """The subcommand a parsed line names, if any."""
    return getattr(args, "drill_subcommand", None)


def run(args: argparse.Namespace) -> int:
    """Run the subcommand the line named."""
    module: Any = importlib.import_module(SUBCOMMANDS[args.drill_subcommand][0])
    return int(module.run(args))
