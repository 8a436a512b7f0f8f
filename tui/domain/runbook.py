"""The runbook model, its validation from YAML bytes, and safe rendering of its steps."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from yaml.nodes import Node

from tui.domain.actions import ACTIONS, Permission
from tui.domain.durations import parse_duration
from tui.domain.linear_regex import LinearRegex, UnsupportedPattern, compile_pattern
from tui.domain.parameter_use import refused_values, unset_secrets
from tui.domain.redaction import SECRET_MIN, mask_userinfo
from tui.domain.runbook_schema import RUNBOOK
from tui.domain.schema import Checker, Problem, did_you_mean, quoted, shown
from tui.domain.templating import (
    CONTEXT_VARIABLES,
    TemplateError,
    display_command,
    find_placeholders,
    render,
    render_argv,
)
from tui.domain.yamlload import load_nodes


@dataclass(frozen=True)
class Parameter:
    """A value the steps use as `{{ name }}`."""

    name: str
    description: str
    default: str | None = None
    required: bool = False
    secret: bool = False
    pattern: str | None = None


@dataclass(frozen=True)
class Metric:
    """A metric to watch, with the threshold beyond which it is bad."""

    name: str
    query: str
    unit: str
    threshold: float
    direction: str
    description: str = ""

    def is_bad(self, value: float) -> bool:
        """Whether `value` is on the bad side of the threshold."""
        return value > self.threshold if self.direction == "above_is_bad" else (
            value < self.threshold)


@dataclass(frozen=True)
class ActionInvocation:
    """An action name with its (still templated) arguments."""

    action: str
    args: Mapping[str, Any]
    command: str | None = None


@dataclass(frozen=True)
class CheckItem:
    """A checklist item; automatic when it has a check, else the operator confirms it."""

    id: str
    item: str
    check: ActionInvocation | None = None

    @property
    def automatic(self) -> bool:
        """Whether a check decides this item."""
        return self.check is not None


@dataclass(frozen=True)
class Step:
    """One step of the procedure."""

    id: str
    title: str
    action: str
    args: Mapping[str, Any]
    command: str | None = None
    expected: str = ""
    duration: str | None = None
    verification: str = ""
    confirm: bool = False
    danger: bool = False
    point_of_no_return: bool = False
    on_failure: str = ""
    timeout: str | None = None

    @property
    def needs_confirmation(self) -> bool:
        """Danger implies confirmation, as does any state-changing action marked confirm."""
        return self.confirm or self.danger or self.point_of_no_return


@dataclass(frozen=True)
class Runbook:
    """A validated runbook."""

    id: str
    title: str
    version: str
    owner: str
    strategy: str
    estimated_time: Mapping[str, str]
    trigger: Mapping[str, Any]
    steps: tuple[Step, ...]
    parameters: tuple[Parameter, ...] = ()
    description: str = ""
    prerequisites: Mapping[str, Any] = field(default_factory=dict)
    metrics: tuple[Metric, ...] = ()
    pre_rollback: tuple[CheckItem, ...] = ()
    verification: tuple[CheckItem, ...] = ()
    validation: tuple[CheckItem, ...] = ()
    communication: Mapping[str, Any] = field(default_factory=dict)
    post_rollback: tuple[CheckItem, ...] = ()
    troubleshooting: tuple[Mapping[str, str], ...] = ()
    contacts: tuple[Mapping[str, str], ...] = ()
    source: str = ""

    def parameter(self, name: str) -> Parameter | None:
        """The parameter called `name`, if any."""
        return next((p for p in self.parameters if p.name == name), None)

    def actions_used(self) -> tuple[str, ...]:
        """Every action the runbook's steps and automatic checks use, in first-use order."""
        names = [s.action for s in self.steps]
        for item in self.checklist_items():
            if item.check:
                names.append(item.check.action)
        return tuple(dict.fromkeys(names))

    def permissions(self) -> tuple[Permission, ...]:
        """The Kubernetes permissions the runbook's actions need, without repeats."""
        perms = [p for name in self.actions_used() for p in ACTIONS[name].permissions]
        return tuple(dict.fromkeys(perms))

    def checklist_items(self) -> tuple[CheckItem, ...]:
        """All checklist items: pre-rollback, verification, validation, communication, after."""
        comms = tuple(self.communication.get("checklist", ()))
        return (*self.pre_rollback, *self.verification, *self.validation, *comms,
                *self.post_rollback)

    def resolve_parameters(self, given: Mapping[str, str],
                           environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """Defaults overlaid with given values; secrets from ROLLBACK_PARAM_<NAME> if not given.

        `environ` defaults to the process environment. An empty value does not satisfy a
        required parameter. Raises ValueError naming every missing, unknown or malformed value.
        """
        env = os.environ if environ is None else environ
        errors = [f"unknown parameter {k!r}{did_you_mean(k, [p.name for p in self.parameters])}"
                  for k in given if self.parameter(k) is None]
        values: dict[str, str] = {}
        for param in self.parameters:
            env_name = f"ROLLBACK_PARAM_{param.name.upper()}"
            value = given.get(param.name)
            if value is None and param.secret:
                value = env.get(env_name)
            if value is None:
                value = param.default
            mismatch = value is not None and not _matches(param, value)
            if value is None or (value == "" and param.required and not mismatch):
                if param.required:
                    hint = f" (set {env_name})" if param.secret else f" (-p {param.name}=…)"
                    errors.append(f"parameter {param.name!r} needs a value{hint}")
                continue
            if mismatch:
                errors.append(f"parameter {param.name!r} does not match "
                              f"{shown(param.pattern or '')}")
            if param.secret and 0 < len(value) < SECRET_MIN:
                # Masking so short a value inside words would garble the journal; leaving it
                # unmasked would leak it: refuse it instead.
                errors.append(f"secret parameter {param.name!r} is {len(value)} character(s) "
                              f"long: secrets need at least {SECRET_MIN} to be masked in the "
                              "journal and output; use a longer one")
            values[param.name] = value
        errors += unset_secrets(self, values)
        errors += refused_values(self, values)
        if errors:
            raise ValueError("; ".join(errors))
        return values

    def secret_names(self) -> tuple[str, ...]:
        """The names of the parameters marked secret."""
        return tuple(p.name for p in self.parameters if p.secret)

    def step_display(self, step: Step, values: Mapping[str, str],
                     mask_secrets: bool = True) -> str | None:
        """The step's command as the operator should see it; secret values as `***`."""
        return step_display(step, values, self.secret_names() if mask_secrets else ())

    def secret_values(self, values: Mapping[str, str]) -> tuple[str, ...]:
        """The values of parameters marked secret (for the journal's redaction)."""
        return tuple(values[p.name] for p in self.parameters if p.secret and p.name in values)


def _matches(param: Parameter, value: str) -> bool:
    """Whether `value` matches the whole of the parameter's pattern (in linear time)."""
    if not param.pattern:
        return True
    try:
        return compile_pattern(param.pattern).fullmatch(value)
    except (re.error, UnsupportedPattern):
        return False


def render_args(args: Any, values: Mapping[str, str]) -> Any:
    """Fill placeholders in every string inside an action's arguments, mapping keys too."""
    if isinstance(args, str):
        return render(args, values)
    if isinstance(args, Mapping):
        rendered: dict[Any, Any] = {}
        for key, value in args.items():
            name = render(key, values) if isinstance(key, str) else key
            if name in rendered:
                raise TemplateError(f"two keys become {name!r} once parameters are filled in")
            rendered[name] = render_args(value, values)
        return rendered
    if isinstance(args, list | tuple):
        return [render_args(v, values) for v in args]
    return args


def step_argv(step: Step, values: Mapping[str, str]) -> list[str] | None:
    """The step's command as an argv list with parameters filled in safely."""
    return render_argv(step.command, values) if step.command else None


def step_display(step: Step, values: Mapping[str, str],
                 secret_names: Iterable[str] = ()) -> str | None:
    """The step's command as the operator should see (and could paste) it.

    The values of the parameters named in `secret_names`, and passwords in URLs, show as
    `***`. The command is rendered with the real values first, so that it fails here exactly
    as it would when run.
    """
    argv = step_argv(step, values)
    if argv is None:
        return None
    hidden = set(secret_names)
    if hidden:
        argv = step_argv(step, {k: "***" if k in hidden else v for k, v in values.items()})
    return mask_userinfo(display_command(argv or []))


@dataclass(frozen=True)
class ValidationResult:
    """The outcome of validating one file."""

    filename: str
    runbook: Runbook | None
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        """True when there is no problem."""
        return not self.problems

    def messages(self) -> list[str]:
        """Each problem as `FILE:LINE:COL: message (expected …)`, in file order."""
        return [p.format(self.filename) for p in self.problems]


def validate_runbook(data: bytes, filename: str) -> ValidationResult:
    """Validate runbook bytes and build the model; every problem is reported, none raised."""
    root, text, problems = load_nodes(data)
    if root is None:
        return ValidationResult(filename, None, tuple(problems))
    ck = Checker(text)
    ck.problems.extend(problems)
    raw = RUNBOOK.check(root, ck)
    if isinstance(raw, dict):
        _check_semantics(raw, root, ck)
    ordered = tuple(sorted(set(ck.problems), key=lambda p: (p.line, p.col, p.message)))
    runbook = None
    if not ordered and isinstance(raw, dict):
        runbook = _build(raw, filename)
    return ValidationResult(filename, runbook, ordered)


def _node_of(root: Node, *path: str | int) -> Node:
    """The node at a path of keys and indexes (for positions of semantic problems)."""
    node = root
    for part in path:
        if isinstance(part, int):
            node = node.value[part]
            continue
        node = next(v for k, v in node.value if getattr(k, "value", None) == part)
    return node


def _check_unique(items: list[Any], key: str, what: str, root: Node, path: tuple[Any, ...],
                  ck: Checker, seen: dict[str, str] | None = None) -> None:
    seen = {} if seen is None else seen
    for index, item in enumerate(items or []):
        if not isinstance(item, dict) or not isinstance(item.get(key), str):
            continue
        value = item[key]
        if value in seen:
            ck.at(_node_of(root, *path, index, key),
                  f"duplicate {what} {quoted(value)}, already used by {seen[value]}",
                  f"a unique {what}")
        else:
            seen[value] = f"{path[-1]}[{index}]"


def _check_semantics(raw: dict[str, Any], root: Node, ck: Checker) -> None:
    # Indexes into the parameters as written: entries that are not mappings keep their place.
    params = [(i, p) for i, p in enumerate(raw.get("parameters") or []) if isinstance(p, dict)]
    _check_unique(raw.get("parameters"), "name", "parameter", root, ("parameters",), ck)
    _check_unique(raw.get("metrics"), "name", "metric", root, ("metrics",), ck)
    _check_unique(raw.get("steps"), "id", "step id", root, ("steps",), ck)
    item_ids: dict[str, str] = {}
    for section in ("pre_rollback", "verification", "validation", "post_rollback"):
        _check_unique(raw.get(section), "id", "checklist id", root, (section,), ck, item_ids)
    comms = raw.get("communication") or {}
    if isinstance(comms, dict) and comms.get("checklist"):
        _check_unique(comms["checklist"], "id", "checklist id", root,
                      ("communication", "checklist"), ck, item_ids)

    for index, param in params:
        node_path = ("parameters", index)
        name = param.get("name")
        if param.get("secret") and param.get("default") is not None:
            ck.at(_node_of(root, *node_path, "default"),
                  f"secret parameter {name!r} must not have a default in the file",
                  f"no default; the value comes from ROLLBACK_PARAM_{str(name).upper()}")
        pattern = param.get("pattern")
        if isinstance(pattern, str):
            _check_pattern(pattern, param.get("default"), root, node_path, ck)

    known = [p["name"] for _, p in params if isinstance(p.get("name"), str)]
    known_all = list(dict.fromkeys([*known, *CONTEXT_VARIABLES]))
    expected_names = "one of: " + ", ".join(known_all)
    for use in ck.templates:
        placeholders = find_placeholders(use.text)
        indexes = ck.placeholder_indexes(use, len(placeholders))
        for placeholder, index in zip(placeholders, indexes, strict=True):
            if not placeholder.valid:
                ck.at_index(index, f"malformed placeholder {placeholder.describe()}",
                            "{{ name }} with a parameter name")
            elif placeholder.name not in known_all:
                ck.at_index(index, f"undefined parameter {placeholder.name!r}"
                            f"{did_you_mean(placeholder.name, known_all)}", expected_names)

    for index, step in enumerate(raw.get("steps") or []):
        if isinstance(step, dict) and isinstance(step.get("command"), str):
            try:
                shlex.split(step["command"])
            except ValueError as exc:
                ck.at(_node_of(root, "steps", index, "command"), f"command cannot be split: {exc}",
                      "balanced quotes")

    estimate = raw.get("estimated_time")
    if isinstance(estimate, dict) and all(isinstance(estimate.get(k), str)
                                          for k in ("best", "expected", "worst")):
        best, expected, worst = (parse_duration(estimate[k]) for k in ("best", "expected",
                                                                        "worst"))
        if not best <= expected <= worst:
            ck.at(_node_of(root, "estimated_time"),
                  f"estimates out of order: best {estimate['best']}, expected "
                  f"{estimate['expected']}, worst {estimate['worst']}", "best ≤ expected ≤ worst")


def _check_pattern(pattern: str, default: Any, root: Node, node_path: tuple[Any, ...],
                   ck: Checker) -> None:
    """The pattern is a regular expression that can be matched safely; the default matches.

    The pattern comes from the file, so it is matched by LinearRegex (time linear in the
    value, whatever the pattern) and never by `re`, which can backtrack for ever.
    """
    try:
        compiled = LinearRegex(pattern)
    except re.error as exc:
        ck.at(_node_of(root, *node_path, "pattern"), f"invalid regular expression: {exc}",
              "a Python regular expression")
        return
    except UnsupportedPattern as exc:
        ck.at(_node_of(root, *node_path, "pattern"), f"pattern cannot be used: {exc}",
              "a regular expression without backreferences, lookarounds or (?i)")
        return
    if not isinstance(default, str):
        return
    try:
        matched = compiled.fullmatch(default)
    except UnsupportedPattern as exc:
        ck.at(_node_of(root, *node_path, "default"), f"default cannot be checked: {exc}",
              "a shorter default or a simpler pattern")
        return
    if not matched:
        ck.at(_node_of(root, *node_path, "default"),
              f"default {quoted(default)} does not match the pattern", shown(pattern))


def _invocation(check: dict[str, Any] | None) -> ActionInvocation | None:
    if not check:
        return None
    return ActionInvocation(check["action"], check.get("with") or {}, check.get("command"))


def _items(raw: list[dict[str, Any]] | None) -> tuple[CheckItem, ...]:
    return tuple(CheckItem(i["id"], i["item"], _invocation(i.get("check"))) for i in raw or [])


def _build(raw: dict[str, Any], filename: str) -> Runbook:
    comms = dict(raw.get("communication") or {})
    if "checklist" in comms:
        comms["checklist"] = _items(comms["checklist"])
    steps = tuple(
        Step(id=s["id"], title=s["title"], action=s["action"], args=s.get("with") or {},
             command=s.get("command"), expected=s.get("expected", ""),
             duration=s.get("duration"), verification=s.get("verification", ""),
             confirm=s.get("confirm", False), danger=s.get("danger", False),
             point_of_no_return=s.get("point_of_no_return", False),
             on_failure=s.get("on_failure", ""), timeout=s.get("timeout"))
        for s in raw["steps"]
    )
    return Runbook(
        id=raw["id"], title=raw["title"], version=raw["version"], owner=raw["owner"],
        strategy=raw["strategy"], estimated_time=raw["estimated_time"], trigger=raw["trigger"],
        steps=steps,
        parameters=tuple(Parameter(**p) for p in raw.get("parameters") or []),
        description=raw.get("description", ""),
        prerequisites=raw.get("prerequisites") or {},
        metrics=tuple(Metric(**m) for m in raw.get("metrics") or []),
        pre_rollback=_items(raw.get("pre_rollback")),
        verification=_items(raw.get("verification")),
        validation=_items(raw.get("validation")),
        communication=comms,
        post_rollback=_items(raw.get("post_rollback")),
        troubleshooting=tuple(raw.get("troubleshooting") or ()),
        contacts=tuple(raw.get("contacts") or ()),
        source=filename,
    )


__all__ = [
    "CheckItem",
    "Metric",
    "Parameter",
    "Runbook",
    "Step",
    "TemplateError",
    "ValidationResult",
    "render_args",
    "step_argv",
    "step_display",
    "validate_runbook",
]
