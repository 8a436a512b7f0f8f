"""Label and field selectors, parsed and matched the way the Kubernetes API server does."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any


class SelectorError(ValueError):
    """A selector the API server would reject with 400 Bad Request; str() is its message."""


# --- validation messages, worded as k8s.io/apimachinery/pkg/util/validation words them -------

_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_DNS_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_FMT = _DNS_LABEL + "(\\." + _DNS_LABEL + ")*"
_CHARS = ("consist of alphanumeric characters, '-', '_' or '.', "
          "and must start and end with an alphanumeric character")


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    # Go's RegexError really does leave two spaces before each "or".
    shown = " or ".join(f"'{example}', " for example in examples)
    return f"{msg} (e.g. {shown}regex used for validation is '{fmt}')"


_NAME_RULE = _regex_error("must " + _CHARS, _NAME_FMT, "MyName", "my.name", "123-abc")


def _label_key_errors(key: str) -> list[str]:
    """validation.IsQualifiedName, message for message."""
    parts = key.split("/")
    if len(parts) > 2:
        return ["a qualified name " + _NAME_RULE + " with an optional DNS subdomain prefix "
                "and '/' (e.g. 'example.com/MyName')"]
    errors: list[str] = []
    if len(parts) == 2 and not parts[0]:
        errors.append("prefix part must be non-empty")
    elif len(parts) == 2:
        if len(parts[0]) > 253:
            errors.append("prefix part must be no more than 253 characters")
        if not re.fullmatch(_DNS_FMT, parts[0]):
            errors.append("prefix part " + _regex_error(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                "characters, '-' or '.', and must start and end with an alphanumeric character",
                _DNS_FMT, "example.com"))
    name = parts[-1]
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > 63:
        errors.append("name part must be no more than 63 characters")
    if not re.fullmatch(_NAME_FMT, name):
        errors.append("name part " + _NAME_RULE)
    return errors


def _label_value_errors(value: str) -> list[str]:
    """validation.IsValidLabelValue, message for message."""
    errors = ["must be no more than 63 characters"] if len(value) > 63 else []
    if not re.fullmatch(f"({_NAME_FMT})?", value):
        errors.append(_regex_error("a valid label must be an empty string or " + _CHARS,
                                   f"({_NAME_FMT})?", "MyValue", "my_value", "12345"))
    return errors


def _go_value(value: Any) -> str:
    # How field.Invalid prints a bad value: %q for strings, %#v for []string.
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return "[]string{" + ", ".join(json.dumps(v, ensure_ascii=False) for v in value) + "}"


def _invalid(path: str, value: Any, detail: str) -> str:
    return f"{path}: Invalid value: {_go_value(value)}: {detail}"


def _aggregate(messages: list[str]) -> str:
    unique = list(dict.fromkeys(messages))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


# --- label selectors ----------------------------------------------------------------------------

_EXACT = ("=", "==", "!=")
_SET = ("in", "notin")
_UNARY = ("exists", "!")
_ORDERED = ("gt", "lt")


def _integer(text: str | None) -> int | None:
    # strconv.ParseInt(text, 10, 64): optional sign, decimal digits, nothing else.
    if text is None or not re.fullmatch(r"[+-]?[0-9]+", text):
        return None
    return int(text)


@dataclass(frozen=True)
class Requirement:
    """One `key op values` clause; operator is one of = == != in notin exists ! gt lt."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        """Whether a label set satisfies this clause (Go's Requirement.Matches)."""
        present = self.key in labels
        if self.operator in ("=", "==", "in"):
            return present and labels[self.key] in self.values
        if self.operator in ("!=", "notin"):
            return not present or labels[self.key] not in self.values
        if self.operator == "exists":
            return present
        if self.operator == "!":
            return not present
        actual = _integer(labels.get(self.key))
        wanted = _integer(self.values[0] if len(self.values) == 1 else None)
        if actual is None or wanted is None:
            return False
        return actual > wanted if self.operator == "gt" else actual < wanted

    def __str__(self) -> str:
        if self.operator == "!":
            return "!" + self.key
        if self.operator == "exists":
            return self.key
        values = ",".join(sorted(self.values))
        if self.operator in _SET:
            return f"{self.key} {self.operator} ({values})"
        symbol = {"gt": ">", "lt": "<"}.get(self.operator, self.operator)
        return f"{self.key}{symbol}{values}"


_COUNT_RULES = {  # operator group -> (values count is wrong, message), as NewRequirement has them
    _SET: (lambda n: n == 0, "for 'in', 'notin' operators, values set can't be empty"),
    _EXACT: (lambda n: n != 1, "exact-match compatibility requires one single value"),
    _UNARY: (lambda n: n != 0, "values set must be empty for exists and does not exist"),
    _ORDERED: (lambda n: n != 1, "for 'Gt', 'Lt' operators, exactly one value is required"),
}


def _requirement(key: str, operator: str, values: list[str]) -> Requirement:
    """Validate like labels.NewRequirement (with a nil path) and build the clause."""
    errors = []
    if key_errors := _label_key_errors(key):
        errors.append(_invalid("key", key, "; ".join(key_errors)))
    for group, (wrong, message) in _COUNT_RULES.items():
        if operator in group and wrong(len(values)):
            errors.append(_invalid("values", values, message))
    if operator in _ORDERED:
        errors += [_invalid(f"values[{i}]", v, "for 'Gt', 'Lt' operators, the value must be "
                            "an integer") for i, v in enumerate(values) if _integer(v) is None]
    for i, value in enumerate(values):
        if value_errors := _label_value_errors(value):
            errors.append(_invalid(f"values[{i}][{key}]", value, "; ".join(value_errors)))
    if errors:
        raise SelectorError(_aggregate(errors))
    # Sorted so equal selections compare equal; Go sorts them when printing anyway.
    return Requirement(key, operator, tuple(sorted(values)))


@dataclass(frozen=True)
class LabelSelector:
    """An AND of requirements; `nothing` marks the selector of a nil LabelSelector object."""

    requirements: tuple[Requirement, ...] = ()
    nothing: bool = False

    @property
    def empty(self) -> bool:
        """True when the selector selects everything."""
        return not self.requirements and not self.nothing

    def matches(self, labels: dict[str, str] | None) -> bool:
        """Whether an object with these labels is selected."""
        if self.nothing:
            return False
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


_SPECIAL = "=!(),><"
_SYMBOLS = ("==", "!=", "=", "!", "(", ")", ",", ">", "<")
_KEYWORDS = ("in", "notin")


def _lex(text: str) -> list[tuple[str, str]]:
    """Tokens as (kind, literal); kind is "id", "in", "notin", a symbol, or "end"."""
    tokens: list[tuple[str, str]] = []
    i = 0
    while True:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        if i >= len(text):
            tokens.append(("end", ""))
            return tokens
        if text[i] in _SPECIAL:
            # Longest symbol wins, as in the Go lexer ("!=" before "!").
            symbol = next(s for s in _SYMBOLS if text.startswith(s, i))
            tokens.append((symbol, symbol))
            i += len(symbol)
            continue
        start = i
        while i < len(text) and text[i] not in _SPECIAL and text[i] not in " \t\r\n":
            i += 1
        word = text[start:i]
        tokens.append((word if word in _KEYWORDS else "id", word))


class _LabelParser:
    """The recursive-descent parser of labels.Parse, error messages included."""

    def __init__(self, text: str) -> None:
        self.tokens = _lex(text)
        self.pos = 0

    def peek(self, values: bool = True) -> tuple[str, str]:
        kind, lit = self.tokens[self.pos]
        # In value context "in" and "notin" are plain identifiers.
        return ("id" if values and kind in _KEYWORDS else kind), lit

    def take(self, values: bool = True) -> tuple[str, str]:
        token = self.peek(values)
        self.pos += 1
        return token

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        while True:
            kind, lit = self.peek()
            if kind == "end":
                return requirements
            if kind not in ("id", "!"):
                raise SelectorError(f"found '{lit}', expected: !, identifier, or 'end of string'")
            try:
                requirements.append(self.requirement())
            except SelectorError as exc:
                raise SelectorError(f"unable to parse requirement: {exc}") from None
            kind, lit = self.take()
            if kind == "end":
                return requirements
            if kind != ",":
                raise SelectorError(f"found '{lit}', expected: ',' or 'end of string'")
            kind, lit = self.peek()
            if kind not in ("id", "!"):
                raise SelectorError(f"found '{lit}', expected: identifier after ','")

    def requirement(self) -> Requirement:
        operator = ""
        kind, key = self.take()
        if kind == "!":
            operator = "!"
            kind, key = self.take()
        if kind != "id":
            raise SelectorError(f"found '{key}', expected: identifier")
        if errs := _label_key_errors(key):
            raise SelectorError(_invalid("<nil>", key, "; ".join(errs)))
        if self.peek()[0] in ("end", ","):
            operator = operator or "exists"
        if operator:
            return _requirement(key, operator, [])
        kind, lit = self.take(values=False)
        operator = {">": "gt", "<": "lt"}.get(kind, kind)
        if operator in _SET:
            return _requirement(key, operator, self.value_set())
        if operator in _EXACT + _ORDERED:
            return _requirement(key, operator, [self.exact_value()])
        raise SelectorError(f"found '{lit}', expected: in, notin, =, ==, !=, gt, lt")

    def value_set(self) -> list[str]:
        kind, lit = self.take()
        if kind != "(":
            raise SelectorError(f"found '{lit}' expected: '('")
        kind, lit = self.peek()
        if kind == ")":
            self.take()
            return [""]
        if kind not in ("id", ","):
            raise SelectorError(f"found '{lit}', expected: ',', ')' or identifier")
        values: set[str] = set()
        while True:
            kind, value = self.take()
            if kind == "id":
                values.add(value)
                kind2, lit2 = self.peek()
                if kind2 == ")":
                    break
                if kind2 != ",":
                    raise SelectorError(f"found '{lit2}', expected: ',' or ')'")
            elif kind == ",":
                # "(,", ",," and ",)" each stand for an empty value; like Go, ",," eats the
                # second comma, so "(a,,)" is an error.
                if not values:
                    values.add("")
                kind2, _ = self.peek()
                if kind2 == ")":
                    values.add("")
                    break
                if kind2 == ",":
                    self.take()
                    values.add("")
            else:
                raise SelectorError(f"found '{value}', expected: ',', or identifier")
        self.take()
        return sorted(values)

    def exact_value(self) -> str:
        if self.peek()[0] in ("end", ","):
            return ""
        kind, lit = self.take()
        if kind != "id":
            raise SelectorError(f"found '{lit}', expected: identifier")
        return lit


def parse_label_selector(text: str) -> LabelSelector:
    """Parse a `labelSelector=` string; the empty string selects everything."""
    requirements = _LabelParser(text).parse()
    return LabelSelector(tuple(sorted(requirements, key=lambda r: r.key)))


_SPEC_OPERATORS = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}


def selector_from_spec(spec: dict[str, Any] | None) -> LabelSelector:
    """A LabelSelector object (matchLabels/matchExpressions); None selects nothing, {} all."""
    if spec is None:
        return LabelSelector(nothing=True)
    requirements = [_requirement(str(k), "=", [str(v)])
                    for k, v in (spec.get("matchLabels") or {}).items()]
    for expr in spec.get("matchExpressions") or []:
        operator = _SPEC_OPERATORS.get(expr.get("operator", ""))
        if operator is None:
            raise SelectorError(f"{_go_value(str(expr.get('operator', '')))} "
                                "is not a valid label selector operator")
        values = [str(v) for v in expr.get("values") or []]
        requirements.append(_requirement(str(expr.get("key", "")), operator, values))
    return LabelSelector(tuple(sorted(requirements, key=lambda r: r.key)))


def format_label_selector(spec: dict[str, Any] | None) -> str:
    """The `labelSelector=` string for a LabelSelector object ("" when it selects all)."""
    return str(selector_from_spec(spec))


# --- field selectors ----------------------------------------------------------------------------

_DEFAULT_FIELDS = frozenset({"metadata.name", "metadata.namespace"})
# Per kind, the labels the API server's field-label conversion accepts (pkg/apis/core/v1).
_KIND_FIELDS: dict[str, frozenset[str]] = {
    "Pod": _DEFAULT_FIELDS | {
        "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
        "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs",
        "status.nominatedNodeName", "spec.host"},
    "Event": _DEFAULT_FIELDS | {
        "involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
        "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
        "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"},
    "Namespace": frozenset({"metadata.name", "status.phase"}),
    "Service": _DEFAULT_FIELDS | {"spec.clusterIP", "spec.type"},
    "Secret": _DEFAULT_FIELDS | {"type"},
    "Node": frozenset({"metadata.name", "spec.unschedulable"}),
    "ReplicationController": _DEFAULT_FIELDS | {"status.replicas"},
}


def _dotted(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def _as_field(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _field_value(kind: str, obj: dict[str, Any], field: str) -> str:
    """The value the API server's selectable-fields set holds for `field` ("" if absent)."""
    if kind == "Pod" and field == "status.podIP":
        ips = _dotted(obj, "status.podIPs") or [{}]
        return _as_field(_dotted(obj, "status.podIP") or ips[0].get("ip"))
    if kind == "Pod" and field == "spec.hostNetwork":
        return _as_field(bool(_dotted(obj, "spec.hostNetwork")))
    if kind == "Event" and field == "source":
        return _as_field(_dotted(obj, "source.component") or obj.get("reportingComponent"))
    return _as_field(_dotted(obj, field))


@dataclass(frozen=True)
class FieldTerm:
    """One `field=value` or `field!=value` clause (value already unescaped)."""

    field: str
    operator: str
    value: str

    def __str__(self) -> str:
        escaped = re.sub(r"([\\,=])", r"\\\1", self.value)
        return f"{self.field}{self.operator}{escaped}"


@dataclass(frozen=True)
class FieldSelector:
    """An AND of field terms for one kind; the empty selector matches every object."""

    kind: str
    terms: tuple[FieldTerm, ...] = ()

    def matches(self, obj: dict[str, Any]) -> bool:
        """Whether the object's selectable fields satisfy every term."""
        for term in self.terms:
            equal = _field_value(self.kind, obj, term.field) == term.value
            if equal != (term.operator == "="):
                return False
        return True

    def __str__(self) -> str:
        return ",".join(str(t) for t in self.terms)


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts, start, escaped = [], 0, False
    for i, ch in enumerate(text):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == sep:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _unescape(value: str) -> str:
    """fields.UnescapeValue: a backslash escapes only itself, "," and "="; bare "," or "=" fail."""
    for match in re.finditer(r"\\(.?)|([,=])", value, re.DOTALL):
        if match.group(2):
            # Go prints the rune with %v, i.e. as its number.
            raise SelectorError("invalid field selector: unescaped character in value: "
                                f"{ord(match.group(2))}")
        if match.group(1) not in ("\\", ",", "="):
            raise SelectorError("invalid field selector: invalid escape sequence: \\"
                                + match.group(1))
    return re.sub(r"\\(.)", r"\1", value, flags=re.DOTALL)


def parse_field_selector(text: str, kind: str) -> FieldSelector:
    """Parse a `fieldSelector=` string for objects of `kind`, rejecting unknown fields."""
    terms: list[FieldTerm] = []
    for part in sorted(_split_unescaped(text, ",")):
        if not part:
            continue
        match = re.match(r"^(.*?)(!=|==|=)(.*)$", part, re.DOTALL)
        if match is None:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{part}'")
        field, operator, value = match.groups()
        terms.append(FieldTerm(field, "!=" if operator == "!=" else "=", _unescape(value)))
    allowed = _KIND_FIELDS.get(kind)
    for i, term in enumerate(terms):
        if allowed is None and term.field not in _DEFAULT_FIELDS:
            raise SelectorError(f'"{term.field}" is not a known field selector: '
                                'only "metadata.name", "metadata.namespace"')
        if allowed is not None and term.field not in allowed:
            raise SelectorError(f"field label not supported: {term.field}")
        if kind == "Pod" and term.field == "spec.host":
            # Old clients' name for spec.nodeName; the server rewrites it.
            terms[i] = FieldTerm("spec.nodeName", term.operator, term.value)
    return FieldSelector(kind, tuple(terms))
