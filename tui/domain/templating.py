"""Safe parameter substitution: `{{ name }}` placeholders, argv lists, never shell syntax."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

# Blanks inside the braces are spaces and tabs only, in Python and in the JSON Schema alike
# (`\s` means different things to Python and to the ECMA regexes of JSON Schema).
PLACEHOLDER = re.compile(r"\{\{[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*\}\}")
WHOLE_PLACEHOLDER_PATTERN = r"^\{\{[ \t]*[A-Za-z_][A-Za-z0-9_]*[ \t]*\}\}$"
# Where a line ends, as YAML (and so the positions of problems) sees it.
LINE_BREAKS = "\n\r\x85\u2028\u2029"
# Every `{{` opens a placeholder that ends at the first `}}` on the same line; one that meets
# the end of the line (or of the text) first is unclosed. The body is an unrolled loop whose
# two branches start with different characters, so the scan never backtracks: one pass over
# the text finds every placeholder, in order, in linear time.
_NOT_BRACE = rf"[^}}{LINE_BREAKS}]"
SCAN = re.compile(rf"\{{\{{({_NOT_BRACE}*(?:\}}(?!\}}){_NOT_BRACE}*)*)(\}}\}})?")
_SHOWN_MAX = 60

# Filled in by the runner, not by the operator; runbooks may use them like parameters.
CONTEXT_VARIABLES = ("incident_id", "incident_dir")


class TemplateError(ValueError):
    """A template names a value that was not given, or is not a valid placeholder."""


@dataclass(frozen=True)
class Placeholder:
    """One `{{ … }}` found in a string, with its offset into the string."""

    name: str
    offset: int
    valid: bool
    closed: bool = True

    def describe(self) -> str:
        """The placeholder as a problem names it, on one line: `{{name-space}}`, `{{ on`."""
        if self.closed:
            return "{{" + _escaped(self.name) + "}}"
        return "{{" + _escaped(self.name) + ": no closing }}"


def _escaped(text: str) -> str:
    """`text` with control characters escaped (repr-like, without quotes), shortened."""
    if len(text) > _SHOWN_MAX:
        text = text[:_SHOWN_MAX] + "…"
    return text if text.isprintable() else repr(text)[1:-1]


def _placeholder(match: re.Match[str]) -> Placeholder:
    body, closed = match.group(1), match.group(2) is not None
    if not closed:
        return Placeholder(name=body.rstrip(), offset=match.start(), valid=False, closed=False)
    strict = PLACEHOLDER.fullmatch(match.group(0))
    name = strict.group(1) if strict else body.strip()
    return Placeholder(name=name, offset=match.start(), valid=strict is not None)


def find_placeholders(text: str) -> list[Placeholder]:
    """Every `{{ … }}` in `text`, including malformed and unclosed ones (valid=False)."""
    return [_placeholder(match) for match in SCAN.finditer(text)]


def placeholder_offsets(text: str) -> list[int]:
    """Where each placeholder of `text` starts, in the order find_placeholders gives them."""
    return [match.start() for match in SCAN.finditer(text)]


def _malformed(placeholder: Placeholder) -> TemplateError:
    return TemplateError(f"malformed placeholder {placeholder.describe()}:"
                         " write {{ name }} with a parameter name")


def _value(name: str, values: Mapping[str, str]) -> str:
    if name not in values:
        raise TemplateError(f"no value for parameter {name!r}")
    return str(values[name])


def render(text: str, values: Mapping[str, str]) -> str:
    """Substitute placeholders in a plain string (a URL, a message); no shell involved.

    Values are inserted as they are and never scanned again; a malformed or unclosed
    placeholder is refused rather than passed on as literal braces.
    """

    def replace(match: re.Match[str]) -> str:
        placeholder = _placeholder(match)
        if not placeholder.valid:
            raise _malformed(placeholder)
        return _value(placeholder.name, values)

    return SCAN.sub(replace, text)


def _markers(command: str) -> tuple[str, str]:
    """Two private-use characters that do not occur in `command`, to stand for placeholders.

    Because neither occurs in the template, a marker found after splitting can only be one
    that stash() put there: text that merely looks like a marker cannot be expanded.
    """
    present = set(command)
    free = []
    for code in range(0xE000, 0xF900):
        if chr(code) not in present:
            free.append(chr(code))
            if len(free) == 2:
                return free[0], free[1]
    raise TemplateError("command uses every private-use character; cannot mark placeholders")


def render_argv(command: str, values: Mapping[str, str]) -> list[str]:
    """Split the command *template* into words first, then fill each word.

    A value is therefore confined to the word it appears in: spaces, quotes, `;` or `$(…)`
    in a value can neither start a second argument nor reach a shell. A value that would
    begin a word with `-` is refused too, so it cannot turn into an option of the program.
    """
    names: list[str] = []
    opening, closing = _markers(command)
    stashed = re.compile(f"{opening}([0-9]+){closing}")

    def stash(match: re.Match[str]) -> str:
        # A placeholder may contain spaces ("{{ name }}"); hide it from the splitter.
        placeholder = _placeholder(match)
        if not placeholder.valid:
            raise _malformed(placeholder)
        names.append(placeholder.name)
        return f"{opening}{len(names) - 1}{closing}"

    try:
        words = shlex.split(SCAN.sub(stash, command), comments=False, posix=True)
    except ValueError as exc:
        if isinstance(exc, TemplateError):
            raise
        raise TemplateError(f"command is not valid shell-style quoting: {exc}") from exc

    def fill(match: re.Match[str]) -> str:
        return _value(names[int(match.group(1))], values)

    argv = []
    for word in words:
        rendered = stashed.sub(fill, word)
        if rendered.startswith("-") and word.startswith(opening):
            raise TemplateError(
                f"value {rendered!r} would start an argument with '-' and be read as an option;"
                " give a value that does not begin with '-'"
            )
        argv.append(rendered)
    return argv


def display_command(argv: list[str]) -> str:
    """The argv as an operator can paste it into a shell, every word quoted as needed."""
    return shlex.join(argv)
