"""The `rollback` command line. Heavy modules (textual, kubernetes) are imported only by the
subcommands that need them, so `--help` and `runbooks validate` start fast."""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Sequence

import tui

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

DESCRIPTION = """\
Guide a production rollback: assessment, decision, execution, verification,
with every action written to an append-only incident journal.
"""

EPILOG = """\
exit codes: 0 ok, 1 the job ran and failed (e.g. a journal failed verification),
2 usage or input error.

environment:
  ROLLBACK_HOME   keep config, incidents and user runbooks under this folder
"""


class _Parser(argparse.ArgumentParser):
    """argparse with exit code 2 and a hint to --help on usage errors."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n"
                              f"Try '{self.prog} --help' for more.\n")

    def _get_values(self, action: argparse.Action, arg_strings: list[str]) -> object:
        # `--flag=--` gives argparse the one word '--', which it drops as the end-of-options
        # marker, leaving a list where the flag's text belongs.
        if action.option_strings and action.nargs is None and arg_strings == ["--"]:
            self.error(f"argument {'/'.join(action.option_strings)}: expected a value, not '--'")
        return super()._get_values(action, arg_strings)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser."""
    parser = _Parser(prog="rollback", description=DESCRIPTION, epilog=EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version",
                        version=f"rollback-tui {tui.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    runbooks = commands.add_parser("runbooks", help="list, show, validate runbooks; print schema")
    rb = runbooks.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True,
                                 parser_class=_Parser)
    rb_list = rb.add_parser("list", help="runbooks found (user folder, then built-ins)")
    rb_list.add_argument("--json", action="store_true", help="one JSON object per line")
    rb_show = rb.add_parser("show", help="a runbook, steps and commands with parameters filled in")
    rb_show.add_argument("runbook", metavar="ID|FILE")
    rb_show.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                         help="parameter value for the preview (repeatable)")
    rb_validate = rb.add_parser(
        "validate", help="check runbook files; every problem as FILE:LINE:COL",
        description="Validate runbook files. Without FILE, validates every known runbook.")
    rb_validate.add_argument("files", nargs="*", metavar="FILE")
    rb.add_parser("schema", help="print the runbook JSON Schema (for editors)")

    incidents = commands.add_parser("incidents", help="list, show and verify incident journals")
    inc = incidents.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True,
                                   parser_class=_Parser)
    inc_list = inc.add_parser("list", help="incidents, newest first")
    inc_list.add_argument("--json", action="store_true", help="one JSON object per line")
    inc_show = inc.add_parser("show", help="an incident's state and timeline")
    inc_show.add_argument("incident", metavar="ID")
    inc_verify = inc.add_parser("verify", help="check the journal's chain, MACs and seal (exit 1 if not)")
    inc_verify.add_argument("incident", metavar="ID")
    inc_verify.add_argument("--export", metavar="FILE",
                            help="check an export against the journal's hash chain instead")
    inc_check = inc.add_parser("check", help="tick a manual checklist item (resolves the "
                               "incident when it was the last open one)")
    inc_check.add_argument("incident", metavar="ID")
    inc_check.add_argument("item", metavar="ITEM")
    inc_check.add_argument("--note", default="", help="a note kept with the tick")
    inc_check.add_argument("--uncheck", action="store_true", help="mark the item open again")
    inc_note = inc.add_parser("note", help="add a note to an incident")
    inc_note.add_argument("incident", metavar="ID")
    inc_note.add_argument("text", metavar="TEXT")
    from tui.app import (
        commands_drill,
        commands_export,
        commands_follow,
        commands_postmortem,
        commands_resume,
        commands_run,
    )
    from tui.app.commands_update import add_parser as add_update_parser

    commands_postmortem.add_parser(inc)
    add_update_parser(inc)

    commands_drill.add_parser(commands)
    commands_run.add_parser(commands)
    commands_resume.add_parser(commands)
    commands_follow.add_parser(commands)
    commands_export.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from tui.app.launch import interactive

        if not interactive():
            parser.print_help()
            return EXIT_USAGE
        from tui.app import commands_tui

        return commands_tui.start()
    try:
        if args.command == "runbooks":
            from tui.app import commands_runbooks

            return commands_runbooks.run(args)
        if args.command == "drill":
            from tui.app import commands_drill

            return commands_drill.run(args)
        if args.command == "run":
            from tui.app import commands_run

            return commands_run.run(args)
        if args.command == "resume":
            from tui.app import commands_resume

            return commands_resume.run(args)
        if args.command == "follow":
            from tui.app import commands_follow

            return commands_follow.run(args)
        if args.command == "export":
            from tui.app import commands_export

            return commands_export.run(args)
        from tui.app import commands_incidents

        return commands_incidents.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `rollback … | head` closed the pipe; nothing more to say.
        sys.stderr.close()
        return EXIT_OK
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            # A name given on the command line (an incident, a scenario, a file) that no file
            # system could hold: the input is wrong, not the machine.
            print(f"rollback: a name given is too long for a file name ({exc.strerror}); "
                  "check the arguments", file=sys.stderr)
            return EXIT_USAGE
        raise
