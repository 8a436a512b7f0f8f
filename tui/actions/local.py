"""Executors of shell, manual and wait."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tui.actions.base import FAILED, OK, SKIPPED, ActionContext, ActionError, Outcome
from tui.adapters.shell import run_argv
from tui.domain.templating import TemplateError, display_command, render_argv


def _argv(args: Mapping[str, Any], ctx: ActionContext) -> list[str]:
    command = args.get("__command__")
    if not command:
        raise ActionError("shell needs the step's command")
    try:
        return render_argv(command, ctx.values)
    except TemplateError as exc:
        raise ActionError(str(exc)) from exc


class Shell:
    """shell: an argv, never a shell; timeout, output cap, expected exit and output."""

    name = "shell"

    def describe(self, args: Mapping[str, Any], ctx: ActionContext) -> str:
        return "$ " + ctx.redactor.text(display_command(_argv(args, ctx)))

    def run(self, args: Mapping[str, Any], ctx: ActionContext) -> Outcome:
        if ctx.dry_run:
            return Outcome(SKIPPED, f"dry-run: would run {self.describe(args, ctx)}")
        cwd = args.get("cwd") or ctx.incident_dir
        result = run_argv(_argv(args, ctx), env=args.get("env"), cwd=cwd,
                          timeout=ctx.process_seconds(args.get("timeout"), "10m"),
                          output_cap=int(args.get("output_cap") or 65536),
                          expect_exit=int(args.get("expect_exit") or 0),
                          expect_output=args.get("expect_output") or None, cancel=ctx.cancel)
        tail = [line for line in result.output.splitlines()[-10:]]
        return Outcome(OK if result.ok else FAILED, result.detail,
                       result.for_journal(ctx.redactor), [ctx.redactor.text(t) for t in tail])


class Manual:
    """manual: the operator does it; headless runs can only list it."""

    name = "manual"

    def describe(self, args: Mapping[str, Any], ctx: ActionContext) -> str:
        return "operator: " + (args.get("instructions") or "do this step by hand").strip()

    def run(self, args: Mapping[str, Any], ctx: ActionContext) -> Outcome:
        lines = [line for line in (args.get("message") or "").splitlines()]
        if ctx.operator_done(self.describe(args, ctx)):
            return Outcome(OK, "done by the operator", {"confirmed": True}, lines)
        return Outcome(SKIPPED, "manual step: not done by this run — "
                       + (args.get("instructions") or "do it by hand").strip().splitlines()[0],
                       {"confirmed": False}, lines)


class Wait:
    """wait: let things settle (interruptible)."""

    name = "wait"

    def describe(self, args: Mapping[str, Any], ctx: ActionContext) -> str:
        return f"wait {args['duration']}"

    def run(self, args: Mapping[str, Any], ctx: ActionContext) -> Outcome:
        if ctx.dry_run:
            return Outcome(SKIPPED, f"dry-run: would wait {args['duration']}")
        if ctx.cancel.wait(ctx.seconds(args["duration"], "0s")):
            return Outcome(FAILED, "interrupted while waiting")
        return Outcome(OK, f"waited {args['duration']}")


EXECUTORS = (Shell(), Manual(), Wait())
