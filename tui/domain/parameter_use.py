"""Which parameters a runbook's automatic work uses: a missing one is refused before it starts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from tui.domain.templating import find_placeholders

if TYPE_CHECKING:
    from tui.domain.runbook import Runbook

MANUAL = "manual"  # an operator reads its text; nothing is run with it


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


def parameter_users(runbook: Runbook) -> dict[str, str]:
    """Each parameter the automatic steps and checks use, with the first step or check using it.

    Steps come first, in order, then the checklist items (`check ITEM_ID`).
    """
    users: dict[str, str] = {}
    sources: list[tuple[str, Iterator[str]]] = [
        (f"step {step.id}", _run_texts(step.action, step.args, step.command))
        for step in runbook.steps]
    sources += [(f"check {item.id}", _run_texts(item.check.action, item.check.args,
                                                item.check.command))
                for item in runbook.checklist_items() if item.check is not None]
    for user, texts in sources:
        for text in texts:
            for placeholder in find_placeholders(text):
                if placeholder.valid:
                    users.setdefault(placeholder.name, user)
    return users


def unset_secrets(runbook: Runbook, values: Mapping[str, str]) -> list[str]:
    """Problems naming each optional secret parameter that automatic work uses, unset.

    (A required one without a value is refused as required already.)
    """
    users = parameter_users(runbook)
    return [f"secret parameter {param.name!r} has no value and {users[param.name]} uses it "
            f"(set ROLLBACK_PARAM_{param.name.upper()})"
            for param in runbook.parameters
            if param.secret and not param.required and param.name in users and not values.get(param.name)]
