"""The runbook format: the seed's runbook template as a schema (validator + JSON Schema)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yaml.nodes import Node

from tui.domain.actions import ACTION_NAMES, ACTIONS
from tui.domain.schema import (
    Bool,
    Checker,
    Duration,
    Field,
    ListOf,
    Num,
    Obj,
    Str,
)

STRATEGIES = (
    "revert-deployment",
    "blue-green-switchback",
    "feature-flag-disable",
    "database-rollback",
    "full-system-rollback",
)
IDENT = r"^[a-z0-9][a-z0-9_-]*$"
PARAM_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


@dataclass(frozen=True)
class RawNode:
    """Keeps the node for a later, context-dependent check (an action's arguments)."""

    def check(self, node: Node, ck: Checker) -> Any:
        return node

    def json_schema(self) -> dict[str, Any]:
        return {"type": "object"}


@dataclass(frozen=True)
class Named:
    """A spec shared by several places; the JSON Schema refers to it under `$defs`."""

    name: str
    spec: Any

    def check(self, node: Node, ck: Checker) -> Any:
        return self.spec.check(node, ck)

    def json_schema(self) -> dict[str, Any]:
        return {"$ref": f"#/$defs/{self.name}"}


@dataclass(frozen=True)
class ActionCall:
    """A mapping with `action:` and `with:`; `with` is checked against that action's signature."""

    base: Obj

    def check(self, node: Node, ck: Checker) -> Any:
        result = self.base.check(node, ck)
        if result is None:
            return None
        action = result.get("action")
        args_node = result.pop("with", None)
        spec = ACTIONS.get(action) if action else None
        if spec is None:
            return result
        if args_node is None:
            missing = [f.name for f in spec.args if f.required]
            if missing:
                ck.at(node, f"action {action} needs arguments under 'with:'",
                      "with: " + ", ".join(missing))
            result["with"] = {}
        else:
            result["with"] = spec.arguments.check(args_node, ck) or {}
        if spec.needs_command and not result.get("command"):
            ck.at(node, f"action {action} runs the step's 'command', which is missing",
                  "command: the argv to run, e.g. pg_dump -Fc {{ database }}")
        return result

    def json_schema(self) -> dict[str, Any]:
        schema = self.base.json_schema()
        schema["allOf"] = [
            {
                "if": {"properties": {"action": {"const": name}}, "required": ["action"]},
                "then": {"properties": {"with": {"$ref": f"#/$defs/with.{name}"}}},
            }
            for name, spec in ACTIONS.items()
        ]
        return schema


def _action_field() -> Field:
    return Field("action", Str(choices=ACTION_NAMES, templated=False, what="action"),
                 "what the step does: one of " + ", ".join(ACTION_NAMES), required=True)


def _text(name: str, description: str, required: bool = False) -> Field:
    return Field(name, Str(min_length=1 if required else 0), description, required)


def _texts(name: str, description: str) -> Field:
    return Field(name, ListOf(Str(min_length=1)), description)


def _ident(name: str, description: str, pattern: str = IDENT) -> Field:
    hint = ("lower-case letters, digits, '-' and '_', e.g. pods_ready" if pattern == IDENT
            else "a name usable as {{ name }}: letters, digits and '_'")
    return Field(name, Str(min_length=1, templated=False, pattern=pattern, pattern_hint=hint),
                 description, required=True)


CHECK_ITEM = Named("check_item", Obj(
    (
        _ident("id", "unique id of the item, e.g. pods_ready"),
        _text("item", "what must be true, e.g. 'All services healthy'", required=True),
        Field("check", ActionCall(Obj((_action_field(),
                                       Field("with", RawNode(), "the action's arguments"),
                                       _text("command", "the command, for action shell")),
                                      what="an automatic check")),
              "an automatic check; without it the item is confirmed by the operator"),
    ),
    what="a checklist item",
))

PARAMETER = Obj(
    (
        _ident("name", "parameter name, used as {{ name }}", PARAM_NAME),
        _text("description", "what the value is", required=True),
        Field("default", Str(templated=False), "value used when none is given"),
        Field("required", Bool(), "a value must be given (or defaulted)"),
        Field("secret", Bool(), "never journaled or shown; read from the environment"),
        Field("pattern", Str(templated=False), "regular expression the value must match"),
    ),
    what="a parameter",
)

METRIC = Obj(
    (
        _ident("name", "metric name, referenced by prom.check"),
        _text("query", "PromQL expression", required=True),
        _text("unit", "unit, e.g. ratio, seconds, req/s", required=True),
        Field("threshold", Num(), "bad beyond this value", required=True),
        Field("direction", Str(choices=("above_is_bad", "below_is_bad"), templated=False),
              "which side of the threshold is bad", required=True),
        _text("description", "what it shows"),
    ),
    what="a metric",
)

STEP = Named("step", ActionCall(Obj(
    (
        _ident("id", "unique step id"),
        _text("title", "what the step does", required=True),
        _action_field(),
        Field("with", RawNode(), "the action's arguments"),
        _text("command", "the equivalent shell command shown to the operator (run by 'shell')"),
        _text("expected", "expected output"),
        Field("duration", Duration(), "how long the step usually takes"),
        _text("verification", "how to verify success"),
        Field("confirm", Bool(), "ask the operator before running"),
        Field("danger", Bool(), "high risk: the operator types the target's name to confirm"),
        Field("point_of_no_return", Bool(), "after this step the rollback cannot be abandoned"),
        _text("on_failure", "contingency if the step fails"),
        Field("timeout", Duration(), "give up after this long"),
    ),
    what="a step",
)))

RUNBOOK = Obj(
    (
        _ident("id", "unique runbook id, e.g. revert-deployment"),
        _text("title", "title", required=True),
        _text("version", "runbook document version", required=True),
        _text("owner", "owning team or person", required=True),
        Field("strategy", Str(choices=STRATEGIES, templated=False), "rollback strategy",
              required=True),
        _text("description", "when to use this runbook"),
        _text("release_date", "date of the release this runbook covers"),
        _text("last_updated", "date the runbook was last updated"),
        Field("estimated_time", Obj((Field("best", Duration(), "best case", True),
                                     Field("expected", Duration(), "expected", True),
                                     Field("worst", Duration(), "worst case", True)),
                                    what="estimated_time"),
              "estimated rollback time", required=True),
        Field("parameters", ListOf(PARAMETER), "values the steps use as {{ name }}"),
        Field("prerequisites", Obj((_texts("access", "required access and permissions"),
                                    _texts("tools", "tools and scripts needed"),
                                    _texts("team", "team members required")),
                                   what="prerequisites"), "prerequisites"),
        Field("trigger", Obj((_texts("criteria", "conditions requiring rollback"),
                              _text("decision_authority", "who decides", required=True),
                              _texts("communication", "communication requirements")),
                             what="trigger"),
              "rollback trigger criteria and decision authority", required=True),
        Field("metrics", ListOf(METRIC), "metrics to monitor, with thresholds"),
        Field("pre_rollback", ListOf(CHECK_ITEM), "pre-rollback verification"),
        Field("steps", ListOf(STEP, min_items=1), "the procedure, in order", required=True),
        Field("verification", ListOf(CHECK_ITEM), "post-rollback verification"),
        Field("validation", ListOf(CHECK_ITEM), "rollback validation"),
        Field("communication", Obj((_texts("notify", "who to notify"),
                                    _texts("channels", "communication channels"),
                                    Field("update_every", Duration(), "status update frequency"),
                                    _texts("escalation", "escalation path"),
                                    Field("checklist", ListOf(CHECK_ITEM),
                                          "communication checklist")),
                                   what="communication"), "communication plan"),
        Field("post_rollback", ListOf(CHECK_ITEM), "post-rollback actions"),
        Field("troubleshooting", ListOf(Obj((_text("issue", "common problem", True),
                                             _text("resolution", "how to resolve it", True)),
                                            what="a troubleshooting entry")),
              "troubleshooting"),
        Field("contacts", ListOf(Obj((_text("role", "role", True),
                                      _text("contact", "how to reach them", True)),
                                     what="a contact")), "emergency contacts"),
    ),
    what="the runbook",
)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a runbook, for editors (also `runbooks/runbook.schema.json`)."""
    schema = RUNBOOK.json_schema()
    defs = {named.name: named.spec.json_schema() for named in (CHECK_ITEM, STEP)}
    defs.update({f"with.{name}": spec.arguments.json_schema() for name, spec in ACTIONS.items()})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://rollback-tui.dev/schema/runbook.schema.json",
        "title": "rollback-tui runbook",
        **schema,
        "$defs": defs,
    }
