"""Parse untrusted YAML bytes into position-carrying nodes, never raising.

Whatever the bytes (binary, empty, not UTF-8, control characters, alias bombs, deep nesting,
huge), the result is either a node tree or problems with line and column.

Events come from libyaml's C parser when PyYAML was built with it (about ten times faster),
else from PyYAML's pure-Python parser; either way PyYAML's Python composer builds the nodes,
so that anchors, aliases and depth are checked here, one node at a time. Every position is
computed from the character offset (`mark.index`) of an event or error, with the line breaks
PyYAML uses, so both parsers give the same lines and columns.
"""

from __future__ import annotations

import re

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent
from yaml.nodes import Node, ScalarNode
from yaml.resolver import Resolver

from tui.domain.schema import NULL, LineIndex, Problem, shown

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64

# What PyYAML's reader (and libyaml's) refuse: control characters other than tab and line
# breaks, U+FFFE and U+FFFF. Surrogates cannot occur in text decoded from UTF-8.
_UNREADABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class _DepthError(yaml.YAMLError):
    def __init__(self, mark: yaml.Mark) -> None:
        super().__init__()
        self.problem_mark = mark


class _Guard:
    """A composer step that refuses anchors and aliases (no alias bombs) and limits nesting."""

    depth: int
    problems: list[tuple[int, str, str]]  # (offset, message, expected)

    def compose_node(self, parent: Node | None, index: object) -> Node | None:
        if self.check_event(AliasEvent):  # type: ignore[attr-defined]
            event = self.get_event()  # type: ignore[attr-defined]
            self.problems.append((event.start_mark.index,
                                  f"alias *{shown(event.anchor)} is not supported",
                                  "plain values; write the value out"))
            return ScalarNode(NULL, "", event.start_mark, event.end_mark)
        event = self.peek_event()  # type: ignore[attr-defined]
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self.problems.append((event.start_mark.index,
                                  f"anchor &{shown(anchor)} is not supported",
                                  "plain values without anchors"))
            event.anchor = None
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _DepthError(event.start_mark)
        try:
            return Composer.compose_node(self, parent, index)  # type: ignore[arg-type]
        finally:
            self.depth -= 1


class _PyNodeLoader(_Guard, yaml.SafeLoader):
    """Pure-Python scanner and parser."""

    def __init__(self, stream: str) -> None:
        yaml.SafeLoader.__init__(self, stream)
        self.depth = 0
        self.problems = []


_NodeLoader: type = _PyNodeLoader
if yaml.__with_libyaml__:  # pragma: no branch - depends on how PyYAML was built
    from yaml._yaml import CParser

    class _CNodeLoader(_Guard, CParser, Composer, Resolver):  # type: ignore[misc]
        """libyaml's parser for the events, PyYAML's Python composer for the nodes.

        CParser has a composer of its own (in C, without our checks): the composing methods
        are bound to the Python Composer explicitly so that it is never used.
        """

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            Resolver.__init__(self)
            self.depth = 0
            self.problems = []

        get_single_node = Composer.get_single_node
        compose_document = Composer.compose_document
        compose_scalar_node = Composer.compose_scalar_node
        compose_sequence_node = Composer.compose_sequence_node
        compose_mapping_node = Composer.compose_mapping_node

    _NodeLoader = _CNodeLoader


def _decode(data: bytes) -> tuple[str | None, Problem | None]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8")  # valid up to the bad byte
        line, col = LineIndex(before).position(len(before))
        return None, Problem(line, col, f"byte 0x{data[exc.start]:02x} is not valid UTF-8",
                             "a UTF-8 text file")
    if "\x00" in text:
        line, col = LineIndex(text).position(text.index("\x00"))
        return None, Problem(line, col, "NUL byte: this looks like a binary file",
                             "a UTF-8 text file")
    bad = _UNREADABLE.search(text)
    if bad:
        char = bad.group(0)
        kind = "control character" if ord(char) < 0xA0 else "character"
        line, col = LineIndex(text).position(bad.start())
        return None, Problem(line, col, f"{kind} U+{ord(char):04X} is not allowed",
                             "a UTF-8 text file")
    return text, None


# libyaml's wording where PyYAML's says the same more plainly (kept so that both parsers give
# the same messages).
_WORDING = (
    (" in this context", " here"),
    ("hexdecimal", "hexadecimal"),
)


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, lines: LineIndex) -> Problem:
    """A clear, one-line problem for a scanner or parser error of either parser."""
    problem = exc.problem or "invalid YAML"
    context = exc.context or ""
    for old, new in _WORDING:
        problem = problem.replace(old, new)
    mark = exc.problem_mark or exc.context_mark
    if "end of stream" in problem and exc.context_mark is not None:
        mark = exc.context_mark  # an unclosed quote or bracket: where it was opened
    index = min(mark.index, len(text)) if mark else 0
    line, col = lines.position(index)
    char = text[index] if index < len(text) else ""
    line_start = text[lines.starts[line - 1]:index]
    at_indent = not line_start.strip(" ")

    def found(message: str, expected: str) -> Problem:
        return Problem(line, col, f"YAML syntax: {message}", expected)

    if char == "\t" and ("tab" in problem or "cannot start any token" in problem):
        if not line_start.strip(" \t"):
            return found("a tab character cannot indent YAML", "spaces for indentation")
        return found("a tab character is not allowed here", "spaces instead of the tab")
    if "cannot start any token" in problem and char and repr(char) not in problem:
        problem = problem.replace("found character", f"found character {char!r}")
    if at_indent and context in ("while parsing a block mapping",
                                 "while parsing a block collection") and (
            "<block end>" in problem or "did not find expected" in problem):
        if text.startswith("- ", index) or text.startswith("-\n", index):
            return found("this list item is not aligned with the items above it",
                         "the same indentation as the other items of the list")
        return found("this key is not aligned with the keys above it",
                     "the same indentation as the other keys of the mapping")
    if context.startswith("expected "):
        return found(problem, context.removeprefix("expected "))
    what = f"{problem} {context}" if context else problem
    return found(what, "valid YAML")


def _compose(loader_class: type, text: str,
             lines: LineIndex) -> tuple[Node | None, Problem | None, list[Problem]]:
    """(root, the problem that stopped parsing or None, anchor and alias problems)."""
    loader = None
    failure = None
    root = None
    try:
        loader = loader_class(text)
        root = loader.get_single_node()
    except _DepthError as exc:
        line, col = lines.position(exc.problem_mark.index)
        failure = Problem(line, col, "nesting is too deep", f"at most {MAX_DEPTH} levels")
    except yaml.MarkedYAMLError as exc:
        if (loader_class is not _PyNodeLoader and exc.problem
                and "maximum nesting depth" in exc.problem):
            # libyaml scans far ahead and gives up at its own depth limit (1000) before the
            # composer sees our limit (64) crossed; PyYAML's lazier scanner finds where it is.
            return _compose(_PyNodeLoader, text, lines)
        failure = _syntax_problem(exc, text, lines)
    except yaml.YAMLError as exc:  # a reader error: the checks in _decode come first
        failure = Problem(1, 1, f"YAML error: {' '.join(str(exc).split())}", "valid YAML")
    finally:
        if loader is not None:
            loader.dispose()
    found = [Problem(*lines.position(index), message, expected)
             for index, message, expected in (loader.problems if loader else [])]
    return root, failure, found


def load_nodes(data: bytes) -> tuple[Node | None, str, list[Problem]]:
    """Return (root node or None, decoded text, problems)."""
    if len(data) > MAX_BYTES:
        return None, "", [Problem(1, 1, f"file is {len(data):,} bytes, too large",
                                  f"at most {MAX_BYTES:,} bytes")]
    text, problem = _decode(data)
    if text is None:
        return None, "", [problem] if problem else []
    if not text.strip():
        return None, text, [Problem(1, 1, "file is empty", "a YAML mapping")]
    lines = LineIndex(text)
    root, failure, found = _compose(_NodeLoader, text, lines)
    if failure is not None:
        return None, text, [*found, failure]
    if root is None:
        return None, text, [Problem(1, 1, "document is empty", "a YAML mapping")]
    return root, text, found
