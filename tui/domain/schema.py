"""A small declarative schema for YAML documents that keeps line/column positions.

One description of a document drives both the validator (walking PyYAML nodes, so every
problem carries `line:col`) and the JSON Schema given to editors, so the two cannot drift.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tui.domain.durations import DURATION_HINT, DURATION_PATTERN, parse_duration
from tui.domain.templating import WHOLE_PLACEHOLDER_PATTERN, find_placeholders

STR, INT, FLOAT, BOOL, NULL = (
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
)
LONE_PLACEHOLDER = re.compile(WHOLE_PLACEHOLDER_PATTERN)
_KIND_NAMES = {STR: "a string", INT: "an integer", FLOAT: "a number", BOOL: "a boolean",
               NULL: "nothing (null)"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document, at a 1-based line and column."""

    line: int
    col: int
    message: str
    expected: str = ""

    def format(self, filename: str) -> str:
        """`FILE:LINE:COL: message (expected …)`."""
        tail = f" (expected {self.expected})" if self.expected else ""
        return f"{filename}:{self.line}:{self.col}: {self.message}{tail}"


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

    def at(self, node: Node, message: str, expected: str = "") -> None:
        """Record a problem at the start of `node`."""
        mark = node.start_mark
        self.problems.append(Problem(mark.line + 1, mark.column + 1, message, expected))

    def at_index(self, index: int, message: str, expected: str = "") -> None:
        """Record a problem at a character offset into the source."""
        line = self.source.count("\n", 0, index) + 1
        col = index - (self.source.rfind("\n", 0, index) + 1) + 1
        self.problems.append(Problem(line, col, message, expected))

    def placeholder_index(self, use: TemplateUse, nth: int) -> int:
        """Source offset of the `nth` placeholder inside a templated scalar."""
        start, end = use.node.start_mark.index, use.node.end_mark.index
        raw = self.source[start:end]
        offset = -1
        for _ in range(nth + 1):
            offset = raw.find("{{", offset + 1)
            if offset < 0:
                return start
        return start + offset


def describe(node: Node) -> str:
    """What a node is, for messages: 'a list', 'the number 3', …."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, ScalarNode):
        kind = _KIND_NAMES.get(node.tag, f"a value tagged {node.tag}")
        if node.tag in (INT, FLOAT, BOOL):
            return f"{kind} {node.value}"
        return kind
    return "something else"


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
    pattern: str = ""
    pattern_hint: str = ""

    def check(self, node: Node, ck: Checker) -> Any:
        if not _scalar(node, (STR,)):
            hint = ""
            if _scalar(node, (INT, FLOAT, BOOL)):
                hint = f" — quote it: '{node.value}'"
            ck.at(node, f"expected text, got {describe(node)}{hint}", self._expected())
            return None
        value = node.value
        if self.choices and value not in self.choices:
            ck.at(node, f"{value!r} is not allowed{did_you_mean(value, list(self.choices))}",
                  self._expected())
            return None
        if len(value) < self.min_length:
            ck.at(node, "empty text", self._expected())
            return None
        if self.pattern and not re.search(self.pattern, value):
            ck.at(node, f"{value!r} is not well formed", self._expected())
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
        value = yaml.safe_load(node.value)
        if self.minimum is not None and value < self.minimum:
            ck.at(node, f"{value} is too small", self._expected())
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
        value = yaml.safe_load(node.value)
        if not math.isfinite(value):
            ck.at(node, f"{node.value} is not a finite number", "a number")
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
        return yaml.safe_load(node.value)

    def json_schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


@dataclass(frozen=True)
class Duration:
    """A duration string such as `5m`; kept as text, checked to parse."""

    def check(self, node: Node, ck: Checker) -> Any:
        if not _scalar(node, (STR,)):
            ck.at(node, f"expected a duration, got {describe(node)}", DURATION_HINT)
            return None
        try:
            parse_duration(node.value)
        except ValueError:
            ck.at(node, f"invalid duration {node.value!r}", DURATION_HINT)
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


def _mapping_pairs(node: MappingNode, ck: Checker) -> list[tuple[str, Node, Node]]:
    """Keys as text with their nodes, reporting non-text and duplicate keys."""
    pairs: list[tuple[str, Node, Node]] = []
    seen: dict[str, Node] = {}
    for key_node, value_node in node.value:
        if not _scalar(key_node, (STR,)):
            ck.at(key_node, f"a key must be text, got {describe(key_node)}", "a text key")
            continue
        key = key_node.value
        if key in seen:
            first = seen[key].start_mark
            ck.at(key_node, f"duplicate key {key!r} (first at line {first.line + 1})",
                  "each key once")
            continue
        seen[key] = key_node
        pairs.append((key, key_node, value_node))
    return pairs


@dataclass(frozen=True)
class MapOf:
    """A mapping from text keys to values following `value`."""

    value: Spec

    def check(self, node: Node, ck: Checker) -> Any:
        if not isinstance(node, MappingNode):
            ck.at(node, f"expected a mapping, got {describe(node)}", "a mapping of key: value")
            return None
        return {key: self.value.check(v, ck) for key, _, v in _mapping_pairs(node, ck)}

    def json_schema(self) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": self.value.json_schema()}


@dataclass(frozen=True)
class AnyValue:
    """Any YAML value (for request bodies and expected JSON values)."""

    def check(self, node: Node, ck: Checker) -> Any:
        if isinstance(node, MappingNode):
            return {k: self.check(v, ck) for k, _, v in _mapping_pairs(node, ck)}
        if isinstance(node, SequenceNode):
            return [self.check(child, ck) for child in node.value]
        if node.tag not in (STR, INT, FLOAT, BOOL, NULL):
            ck.at(node, f"unsupported tag {node.tag}", "plain YAML values")
            return None
        if node.tag == STR and "{{" in node.value:
            ck.templates.append(TemplateUse(node.value, node))
        return node.value if node.tag == STR else yaml.safe_load(node.value)

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
                ck.at(key_node, f"unknown key {key!r} in {self.what}{did_you_mean(key, names)}",
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
