"""A small declarative schema for YAML documents that keeps line/column positions.

One description of a document drives both the validator (walking PyYAML nodes, so every
problem carries `line:col`) and the JSON Schema given to editors, so the two cannot drift.
"""

from __future__ import annotations

import bisect
import difflib
import math
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tui.domain.durations import DURATION_HINT, DURATION_PATTERN, is_duration
from tui.domain.templating import (
    WHOLE_PLACEHOLDER_PATTERN,
    find_placeholders,
    placeholder_offsets,
)

STR, INT, FLOAT, BOOL, NULL, TIMESTAMP, MERGE = (
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:merge",
)
LONE_PLACEHOLDER = re.compile(WHOLE_PLACEHOLDER_PATTERN)
_KIND_NAMES = {STR: "a string", INT: "an integer", FLOAT: "a number", BOOL: "a boolean",
               NULL: "nothing (null)", TIMESTAMP: "a date"}
# Where PyYAML (and libyaml) start a new line: positions are counted the same way.
LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
# Integers longer than this are refused before conversion (Python refuses to convert decimal
# strings over 4300 digits, and no runbook count or code needs anywhere near this many).
MAX_INT_DIGITS = 100
_SHOWN_MAX = 80
_CONSTRUCTOR = SafeConstructor()


def shown(value: str) -> str:
    """A value as a message shows it, always on one line: as is when it is plain printable
    text, else quoted and escaped like repr (so a trailing newline or a tab is visible)."""
    if len(value) > _SHOWN_MAX:
        return repr(value[:_SHOWN_MAX]) + "…"
    if value and value.isprintable() and value == value.strip() and "'" not in value:
        return value
    return repr(value)


def one_line(text: str) -> str:
    """`text` with every line break or control character escaped, so it stays on one line."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


class LineIndex:
    """1-based line and column (in characters) of offsets into a text, as PyYAML counts them:
    a line ends at \\n, \\r, \\r\\n, U+0085, U+2028 or U+2029."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None

    @property
    def starts(self) -> list[int]:
        """Offsets where lines start (found on first use: most documents have no problem)."""
        if self._starts is None:
            self._starts = [0, *(m.end() for m in LINE_BREAK.finditer(self.text))]
        return self._starts

    def position(self, index: int) -> tuple[int, int]:
        """(line, column) of the character at `index`."""
        starts = self.starts
        line = bisect.bisect_right(starts, index) - 1
        return line + 1, index - starts[line] + 1


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document, at a 1-based line and column."""

    line: int
    col: int
    message: str
    expected: str = ""

    def format(self, filename: str) -> str:
        """`FILE:LINE:COL: message (expected …)`, always one line."""
        tail = f" (expected {one_line(self.expected)})" if self.expected else ""
        return f"{filename}:{self.line}:{self.col}: {one_line(self.message)}{tail}"


@dataclass
class TemplateUse:
    """A string that may hold `{{ name }}` placeholders, and where it sits in the source."""

    text: str
    node: Node


class Checker:
    """Collects problems and templated strings while a document is walked."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.templates: list[TemplateUse] = []
        self._lines = LineIndex(source)

    def position(self, index: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset into the source."""
        return self._lines.position(index)

    def at(self, node: Node, message: str, expected: str = "") -> None:
        """Record a problem at the start of `node`."""
        self.at_index(node.start_mark.index, message, expected)

    def at_index(self, index: int, message: str, expected: str = "") -> None:
        """Record a problem at a character offset into the source."""
        line, col = self.position(index)
        self.problems.append(Problem(line, col, message, expected))

    def placeholder_indexes(self, use: TemplateUse, count: int) -> list[int]:
        """Source offsets of the `count` placeholders of a templated scalar, in order.

        One pass over the scalar's source text with the scanner that finds the placeholders
        in its value (linear time): the nth placeholder of the value is the nth of the source.
        Where escapes or folding make the two differ, the scalar's start stands in.
        """
        start, end = use.node.start_mark.index, use.node.end_mark.index
        offsets = [start + offset for offset in placeholder_offsets(self.source[start:end])]
        return (offsets + [start] * count)[:count]


def describe(node: Node) -> str:
    """What a node is, for messages: 'a list', 'an integer 3', …."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, ScalarNode):
        kind = _KIND_NAMES.get(node.tag, f"a value tagged {shown(node.tag)}")
        if node.tag == TIMESTAMP and len(node.value.strip()) > len("2026-11-30"):
            kind = "a date and time"
        if node.tag in (INT, FLOAT, BOOL, TIMESTAMP):
            return f"{kind} {shown(node.value)}"
        return kind
    return "something else"


def quote_hint(node: Node) -> str:
    """' — quote it: …' for a scalar YAML read as a number, boolean or date but meant as text."""
    if not _scalar(node, (INT, FLOAT, BOOL, TIMESTAMP)):
        return ""
    value = node.value
    if shown(value) == value:
        return f" — quote it: '{value}'"
    return " — quote it"


def _int_value(node: ScalarNode) -> int | str:
    """The integer of an !!int node, or what is wrong with it (for a message)."""
    digits = re.sub(r"^[-+]?(0[box])?|[_:]", "", node.value)
    if len(digits) > MAX_INT_DIGITS:
        return f"integer with {len(digits)} digits is too large"
    try:
        value = _CONSTRUCTOR.construct_yaml_int(node)
    except (ValueError, IndexError, ConstructorError):
        return f"{quoted(node.value)} is not a valid integer"
    return value


def _float_value(node: ScalarNode) -> float | str:
    """The number of an !!int or !!float node, or what is wrong with it (for a message)."""
    if node.tag == INT:
        return _int_value(node)
    try:
        value = _CONSTRUCTOR.construct_yaml_float(node)
    except (ValueError, IndexError, ConstructorError):
        return f"{quoted(node.value)} is not a valid number"
    if not math.isfinite(value):
        return f"{shown(node.value)} is not a finite number"
    return value


def quoted(value: str) -> str:
    """`value` in quotes, escaped like repr, shortened."""
    return repr(value) if len(value) <= _SHOWN_MAX else repr(value[:_SHOWN_MAX]) + "…"


def did_you_mean(word: str, choices: list[str]) -> str:
    """A ' — did you mean …?' suffix, or nothing when no choice is close."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" — did you mean {close[0]!r}?" if close else ""


class Spec(Protocol):
    """What every schema element offers."""

    def check(self, node: Node, ck: Checker) -> Any: ...

    def json_schema(self) -> dict[str, Any]: ...


def _scalar(node: Node, tags: tuple[str, ...]) -> bool:
    return isinstance(node, ScalarNode) and node.tag in tags


@dataclass(frozen=True)
class Str:
    """A string; optionally one of `choices`; `templated` strings may hold placeholders."""

    templated: bool = True
    choices: tuple[str, ...] = ()
    min_length: int = 0
    # Written `^…$` for the JSON Schema (ECMA regexes, where `$` is the very end); matched
    # here with re.fullmatch, where `$` alone would also accept a trailing newline.
    pattern: str = ""
    pattern_hint: str = ""
    # What a value names, for 'unknown action …' rather than '… is not allowed'.
    what: str = ""

    def check(self, node: Node, ck: Checker) -> Any:
        if not _scalar(node, (STR,)):
            ck.at(node, f"expected text, got {describe(node)}{quote_hint(node)}",
                  self._expected())
            return None
        value = node.value
        if self.choices and value not in self.choices:
            close = did_you_mean(value, list(self.choices))
            message = (f"unknown {self.what} {quoted(value)}{close}" if self.what
                       else f"{quoted(value)} is not allowed{close}")
            ck.at(node, message, self._expected())
            return None
        if len(value) < self.min_length:
            ck.at(node, "empty text", self._expected())
            return None
        if self.pattern and not re.fullmatch(self.pattern, value):
            ck.at(node, f"{quoted(value)} is not well formed", self._expected())
            return None
        if self.templated and "{{" in value:
            ck.templates.append(TemplateUse(value, node))
        return value

    def _expected(self) -> str:
        if self.choices:
            return "one of: " + ", ".join(self.choices)
        if self.pattern_hint:
            return self.pattern_hint
        return "a non-empty string" if self.min_length else "a string"

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string"}
        if self.choices:
            schema["enum"] = list(self.choices)
        if self.min_length:
            schema["minLength"] = self.min_length
        if self.pattern:
            schema["pattern"] = self.pattern
        return schema


@dataclass(frozen=True)
class Int:
    """An integer at least `minimum`; `templated` also allows a lone `{{ name }}`."""

    minimum: int | None = None
    templated: bool = False

    def check(self, node: Node, ck: Checker) -> Any:
        if self.templated and _scalar(node, (STR,)) and find_placeholders(node.value):
            if LONE_PLACEHOLDER.fullmatch(node.value):
                return Str().check(node, ck)
            ck.at(node, "an integer field may hold a number or a single {{ parameter }}",
                  self._expected())
            return None
        if not _scalar(node, (INT,)):
            ck.at(node, f"expected an integer, got {describe(node)}", self._expected())
            return None
        value = _int_value(node)  # type: ignore[arg-type]
        if isinstance(value, str):
            ck.at(node, value, self._expected())
            return None
        if self.minimum is not None and value < self.minimum:
            ck.at(node, f"{shown(node.value)} is too small", self._expected())
            return None
        return value

    def _expected(self) -> str:
        base = "an integer" if self.minimum is None else f"an integer ≥ {self.minimum}"
        return base + (" or a {{ parameter }}" if self.templated else "")

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "integer"}
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.templated:
            return {"oneOf": [schema, {"type": "string", "pattern": WHOLE_PLACEHOLDER_PATTERN}]}
        return schema


@dataclass(frozen=True)
class Num:
    """A number (integer or decimal)."""

    def check(self, node: Node, ck: Checker) -> Any:
        if not _scalar(node, (INT, FLOAT)):
            ck.at(node, f"expected a number, got {describe(node)}", "a number")
            return None
        value = _float_value(node)  # type: ignore[arg-type]
        if isinstance(value, str):
            ck.at(node, value, "a number")
            return None
        return value

    def json_schema(self) -> dict[str, Any]:
        return {"type": "number"}


@dataclass(frozen=True)
class Bool:
    """true or false."""

    def check(self, node: Node, ck: Checker) -> Any:
        if not _scalar(node, (BOOL,)):
            ck.at(node, f"expected true or false, got {describe(node)}", "true or false")
            return None
        try:  # an explicit `!!bool maybe` is tagged bool but is no boolean
            return _CONSTRUCTOR.construct_yaml_bool(node)
        except (KeyError, ConstructorError):
            ck.at(node, f"{quoted(node.value)} is not true or false", "true or false")
            return None

    def json_schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


@dataclass(frozen=True)
class Duration:
    """A duration string such as `5m`; kept as text, checked to parse."""

    def check(self, node: Node, ck: Checker) -> Any:
        if not _scalar(node, (STR,)):
            ck.at(node, f"expected a duration, got {describe(node)}", DURATION_HINT)
            return None
        if not is_duration(node.value):  # exactly DURATION_PATTERN, as the JSON Schema says
            ck.at(node, f"invalid duration {quoted(node.value)}", DURATION_HINT)
            return None
        return node.value

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": DURATION_PATTERN}


@dataclass(frozen=True)
class ListOf:
    """A list whose items all follow `item`."""

    item: Spec
    min_items: int = 0

    def check(self, node: Node, ck: Checker) -> Any:
        if not isinstance(node, SequenceNode):
            ck.at(node, f"expected a list, got {describe(node)}", "a list")
            return None
        if len(node.value) < self.min_items:
            ck.at(node, "the list is empty", f"at least {self.min_items} item(s)")
        return [self.item.check(child, ck) for child in node.value]

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "array", "items": self.item.json_schema()}
        if self.min_items:
            schema["minItems"] = self.min_items
        return schema


def _mapping_pairs(node: MappingNode, ck: Checker,
                   templated_keys: bool = False) -> list[tuple[str, Node, Node]]:
    """Keys as text with their nodes, reporting non-text and duplicate keys.

    With `templated_keys`, a key may hold `{{ name }}` placeholders, checked like values.
    """
    pairs: list[tuple[str, Node, Node]] = []
    seen: dict[str, Node] = {}
    for key_node, value_node in node.value:
        if _scalar(key_node, (MERGE,)):
            ck.at(key_node, "merge key '<<' is not supported", "the keys written out")
            continue
        if not _scalar(key_node, (STR,)):
            ck.at(key_node, f"a key must be text, got {describe(key_node)}", "a text key")
            continue
        key = key_node.value
        if key in seen:
            first, _ = ck.position(seen[key].start_mark.index)
            ck.at(key_node, f"duplicate key {quoted(key)} (first at line {first})",
                  "each key once")
            continue
        seen[key] = key_node
        if templated_keys and "{{" in key:
            ck.templates.append(TemplateUse(key, key_node))
        pairs.append((key, key_node, value_node))
    return pairs


@dataclass(frozen=True)
class MapOf:
    """A mapping from text keys to values following `value`; keys may hold placeholders."""

    value: Spec
    templated_keys: bool = True

    def check(self, node: Node, ck: Checker) -> Any:
        if not isinstance(node, MappingNode):
            ck.at(node, f"expected a mapping, got {describe(node)}", "a mapping of key: value")
            return None
        return {key: self.value.check(v, ck)
                for key, _, v in _mapping_pairs(node, ck, self.templated_keys)}

    def json_schema(self) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": self.value.json_schema()}


@dataclass(frozen=True)
class AnyValue:
    """Any YAML value (for request bodies and expected JSON values)."""

    def check(self, node: Node, ck: Checker) -> Any:
        if isinstance(node, MappingNode):
            return {k: self.check(v, ck) for k, _, v in _mapping_pairs(node, ck, True)}
        if isinstance(node, SequenceNode):
            return [self.check(child, ck) for child in node.value]
        if node.tag == STR:
            if "{{" in node.value:
                ck.templates.append(TemplateUse(node.value, node))
            return node.value
        if node.tag == NULL:
            return None
        if node.tag == BOOL:
            return Bool().check(node, ck)
        if node.tag in (INT, FLOAT):
            return Num().check(node, ck)
        ck.at(node, f"unsupported tag {shown(node.tag)}", "plain YAML values")
        return None

    def json_schema(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class Field:
    """A key of an object: its spec, whether it is required, and what it means."""

    name: str
    spec: Spec
    description: str
    required: bool = False


@dataclass(frozen=True)
class Obj:
    """A mapping with known keys; unknown keys are errors with a did-you-mean."""

    fields: tuple[Field, ...]
    what: str = "this mapping"
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def check(self, node: Node, ck: Checker) -> Any:
        if not isinstance(node, MappingNode):
            ck.at(node, f"expected a mapping for {self.what}, got {describe(node)}",
                  "keys: " + ", ".join(f.name for f in self.fields))
            return None
        by_name = {f.name: f for f in self.fields}
        result: dict[str, Any] = {}
        for key, key_node, value_node in _mapping_pairs(node, ck):
            spec_field = by_name.get(key)
            if spec_field is None:
                names = list(by_name)
                ck.at(key_node,
                      f"unknown key {quoted(key)} in {self.what}{did_you_mean(key, names)}",
                      "one of: " + ", ".join(names))
                continue
            result[key] = spec_field.spec.check(value_node, ck)
        for spec_field in self.fields:
            if spec_field.required and spec_field.name not in result:
                ck.at(node, f"missing required key {spec_field.name!r} in {self.what}",
                      f"{spec_field.name}: {spec_field.description}")
        return result

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {
                f.name: {**f.spec.json_schema(), "description": f.description}
                for f in self.fields
            },
            "additionalProperties": False,
        }
        required = [f.name for f in self.fields if f.required]
        if required:
            schema["required"] = required
        schema.update(self.extra)
        return schema
