"""Parse untrusted YAML bytes into position-carrying nodes, never raising.

Whatever the bytes (binary, empty, not UTF-8, alias bombs, deep nesting, huge), the result is
either a node tree or problems with line and column.
"""

from __future__ import annotations

import yaml
from yaml.events import AliasEvent
from yaml.nodes import Node, ScalarNode

from tui.domain.schema import NULL, Problem

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64


class _DepthError(yaml.YAMLError):
    def __init__(self, mark: yaml.Mark) -> None:
        super().__init__()
        self.problem_mark = mark


class _NodeLoader(yaml.SafeLoader):
    """A composer that refuses anchors and aliases (no alias bombs) and limits nesting."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0
        self.problems: list[Problem] = []

    def compose_node(self, parent: Node | None, index: object) -> Node | None:
        if self.check_event(AliasEvent):
            event = self.get_event()
            mark = event.start_mark
            self.problems.append(Problem(mark.line + 1, mark.column + 1,
                                         f"alias *{event.anchor} is not supported",
                                         "plain values; write the value out"))
            return ScalarNode(NULL, "", mark, event.end_mark)
        event = self.peek_event()
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            mark = event.start_mark
            self.problems.append(Problem(mark.line + 1, mark.column + 1,
                                         f"anchor &{anchor} is not supported",
                                         "plain values without anchors"))
            event.anchor = None
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _DepthError(event.start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _decode(data: bytes) -> tuple[str | None, Problem | None]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        return None, Problem(line, col, f"byte 0x{data[exc.start]:02x} is not valid UTF-8",
                             "a UTF-8 text file")
    if "\x00" in text:
        index = text.index("\x00")
        line = text.count("\n", 0, index) + 1
        col = index - (text.rfind("\n", 0, index) + 1) + 1
        return None, Problem(line, col, "NUL byte: this looks like a binary file",
                             "a UTF-8 text file")
    return text, None


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
    loader = _NodeLoader(text)
    try:
        root = loader.get_single_node()
    except _DepthError as exc:
        mark = exc.problem_mark
        return None, text, [*loader.problems, Problem(mark.line + 1, mark.column + 1,
                                                      "nesting is too deep",
                                                      f"at most {MAX_DEPTH} levels")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what, expected = exc.problem or "invalid YAML", "valid YAML"
        if exc.context and exc.context.startswith("expected "):
            expected = exc.context.removeprefix("expected ")
        elif exc.context:
            what = f"{what} {exc.context}"
        return None, text, [*loader.problems, Problem(line, col, f"YAML syntax: {what}",
                                                      expected)]
    except yaml.YAMLError as exc:
        return None, text, [*loader.problems, Problem(1, 1, f"YAML error: {exc}", "valid YAML")]
    finally:
        loader.dispose()
    if root is None:
        return None, text, [Problem(1, 1, "document is empty", "a YAML mapping")]
    return root, text, loader.problems
