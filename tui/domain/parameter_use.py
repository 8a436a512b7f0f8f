"""Which parameters a runbook's automatic work uses: a missing one is refused before it starts."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from tui.domain.safe_text import plain
from tui.domain.templating import TemplateError, find_placeholders, render, render_argv

if TYPE_CHECKING:
    from tui.domain.runbook import Runbook

MANUAL = "manual"  # an operator reads its text; nothing is run with it
# Arguments the actions read as whole numbers (tui/actions/base.as_int).
WHOLE_NUMBER_ARGS = ("to_revision", "replicas")
_WHOLE_NUMBER = re.compile(r"[0-9]{1,18}", re.ASCII)


def _strings(args: Any) -> Iterator[str]:
    """Every string inside an action's arguments, mapping keys included."""
    if isinstance(args, str):
        yield args
    elif isinstance(args, Mapping):
        for key, value in args.items():
            if isinstance(key, str):
                yield key
            yield from _strings(value)
    elif isinstance(args, list | tuple):
        for value in args:
            yield from _strings(value)


def _run_texts(action: str, args: Mapping[str, Any], command: str | None) -> Iterator[str]:
    """The texts an automatic action fills in when it runs (a shell action runs its command)."""
    if action == MANUAL:
        return
    yield from _strings(args)
    if action == "shell" and command:
        yield command


def _sources(runbook: Runbook) -> list[tuple[str, str, Mapping[str, Any], str | None]]:
    """(who, action, args, command) of every step, then every checklist item's check."""
    sources = [(f"step {step.id}", step.action, step.args, step.command)
               for step in runbook.steps]
    sources += [(f"check {item.id}", item.check.action, item.check.args, item.check.command)
                for item in runbook.checklist_items() if item.check is not None]
    return sources


def parameter_users(runbook: Runbook) -> dict[str, str]:
    """Each parameter the automatic steps and checks use, with the first step or check using it.

    Steps come first, in order, then the checklist items (`check ITEM_ID`).
    """
    users: dict[str, str] = {}
    for user, action, args, command in _sources(runbook):
        for text in _run_texts(action, args, command):
            for placeholder in find_placeholders(text):
                if placeholder.valid:
                    users.setdefault(placeholder.name, user)
    return users


def _whole_number_problems(user: str, args: Mapping[str, Any],
                           values: Mapping[str, str]) -> list[str]:
    """Problems of given values that make an action's whole-number argument not one."""
    problems = []
    for key in WHOLE_NUMBER_ARGS:
        text = args.get(key)
        if not isinstance(text, str):
            continue
        names = {p.name for p in find_placeholders(text) if p.valid}
        given = sorted(names & set(values))
        if not given:
            continue
        trial = dict.fromkeys(names, "0") | {n: values[n] for n in given}
        try:
            rendered = render(text, trial)
        except TemplateError:
            continue  # a malformed template is the runbook's problem, reported by validation
        if not _WHOLE_NUMBER.fullmatch(rendered.strip()):
            shown = ", ".join(repr(n) for n in given)
            problems.append(f"parameter {shown}: {user} would refuse it: {key} must be a whole "
                            f"number, got {plain(rendered, 40)!r}")
    return problems


def refused_values(runbook: Runbook, values: Mapping[str, str]) -> list[str]:
    """Problems naming each given value that a step or check would refuse when it runs.

    A shell command's word that begins with a placeholder refuses a value starting with '-'
    (it would become an option); found here, before an incident opens, not at that step.
    """
    problems: list[str] = []
    for user, action, args, command in _sources(runbook):
        if action != MANUAL:
            problems += [p for p in _whole_number_problems(user, args, values)
                         if p not in problems]
        if action != "shell" or not command:
            continue
        names = {p.name for p in find_placeholders(command) if p.valid}
        for name in sorted(names & set(values)):
            # Only this value as given, the others (built-ins too) harmless: the refusal is
            # this value's.
            trial = dict.fromkeys(names, "x") | {name: values[name]}
            try:
                render_argv(command, trial)
            except TemplateError as exc:
                param = runbook.parameter(name)
                # A secret's value is never printed; the rule it breaks is enough.
                reason = ("its value would start an argument with '-'"
                          if param is not None and param.secret else str(exc))
                problem = f"parameter {name!r}: {user} would refuse it: {reason}"
                if problem not in problems:
                    problems.append(problem)
    return problems


def unset_secrets(runbook: Runbook, values: Mapping[str, str]) -> list[str]:
    """Problems naming each optional secret parameter that automatic work uses, unset.

    (A required one without a value is refused as required already.)
    """
    users = parameter_users(runbook)
    return [f"secret parameter {param.name!r} has no value and {users[param.name]} uses it "
            f"(set ROLLBACK_PARAM_{param.name.upper()})"
            for param in runbook.parameters
            if param.secret and not param.required and param.name in users and not values.get(param.name)]
