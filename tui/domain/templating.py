"""Safe parameter substitution: `{{ name }}` placeholders, argv lists, never shell syntax."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
LOOSE_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}")
_STASHED = re.compile("\x01(\\d+)\x02")
WHOLE_PLACEHOLDER_PATTERN = r"^\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}$"

# Filled in by the runner, not by the operator; runbooks may use them like parameters.
CONTEXT_VARIABLES = ("incident_id", "incident_dir")


class TemplateError(ValueError):
    """A template names a value that was not given, or is not a valid placeholder."""


@dataclass(frozen=True)
class Placeholder:
    """One `{{ name }}` found in a string, with its offset into the string."""

    name: str
    offset: int
    valid: bool


def find_placeholders(text: str) -> list[Placeholder]:
    """Every `{{ … }}` in `text`, including malformed ones (valid=False)."""
    found = []
    for match in LOOSE_PLACEHOLDER.finditer(text):
        strict = PLACEHOLDER.fullmatch(match.group(0))
        name = strict.group(1) if strict else match.group(1).strip()
        found.append(Placeholder(name=name, offset=match.start(), valid=strict is not None))
    return found


def render(text: str, values: Mapping[str, str]) -> str:
    """Substitute placeholders in a plain string (a URL, a message); no shell involved."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise TemplateError(f"no value for parameter {name!r}")
        return str(values[name])

    return PLACEHOLDER.sub(replace, text)


def render_argv(command: str, values: Mapping[str, str]) -> list[str]:
    """Split the command *template* into words first, then fill each word.

    A value is therefore confined to the word it appears in: spaces, quotes, `;` or `$(…)`
    in a value can neither start a second argument nor reach a shell. A value that would
    begin a word with `-` is refused too, so it cannot turn into an option of the program.
    """
    names: list[str] = []

    def stash(match: re.Match[str]) -> str:
        # A placeholder may contain spaces ("{{ name }}"); hide it from the splitter.
        names.append(match.group(1))
        return f"\x01{len(names) - 1}\x02"

    try:
        words = shlex.split(PLACEHOLDER.sub(stash, command), comments=False, posix=True)
    except ValueError as exc:
        raise TemplateError(f"command is not valid shell-style quoting: {exc}") from exc

    def fill(match: re.Match[str]) -> str:
        name = names[int(match.group(1))]
        if name not in values:
            raise TemplateError(f"no value for parameter {name!r}")
        return str(values[name])

    argv = []
    for word in words:
        rendered = _STASHED.sub(fill, word)
        if rendered.startswith("-") and word.startswith("\x01"):
            raise TemplateError(
                f"value {rendered!r} would start an argument with '-' and be read as an option;"
                " give a value that does not begin with '-'"
            )
        argv.append(rendered)
    return argv


def display_command(argv: list[str]) -> str:
    """The argv as an operator can paste it into a shell, every word quoted as needed."""
    return shlex.join(argv)
