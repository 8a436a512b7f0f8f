"""The shipped JSON Schema and the validator agree: same file, same verdicts."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import REPO

from tui.domain.runbook import validate_runbook
from tui.domain.runbook_schema import json_schema

SCHEMA_FILE = REPO / "runbooks" / "runbook.schema.json"
BUILTIN_FILES = sorted(p for p in (REPO / "runbooks").glob("*.yaml")
                       if p.name != "prometheus-rules.yaml")

Mutation = Callable[[dict[str, Any]], None]


def test_schema_file_is_current() -> None:
    assert json.loads(SCHEMA_FILE.read_text()) == json_schema(), (
        "runbooks/runbook.schema.json is stale: rollback runbooks schema > "
        "runbooks/runbook.schema.json")


def test_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(json_schema())


@pytest.mark.parametrize("path", BUILTIN_FILES, ids=lambda p: p.stem)
def test_both_accept_the_builtins(path: Path) -> None:
    assert validate_runbook(path.read_bytes(), str(path)).ok
    errors = list(jsonschema.Draft202012Validator(json_schema()).iter_errors(
        yaml.safe_load(path.read_text())))
    assert errors == []


def _mutations(doc: dict[str, Any]) -> Iterator[tuple[str, Mutation]]:
    """Structural breakages the JSON Schema can express too."""
    required = json_schema()["required"]
    for key in required:
        yield f"drop {key}", lambda d, k=key: d.pop(k)
    yield "unknown top key", lambda d: d.update(stpes=[])
    yield "strategy typo", lambda d: d.update(strategy="revert-deploymnt")
    yield "title as list", lambda d: d.update(title=["x"])
    yield "bad duration", lambda d: d["estimated_time"].update(worst="3 minutes")
    yield "no steps", lambda d: d.update(steps=[])
    for index, step in enumerate(doc["steps"]):
        yield f"step {index} unknown key", lambda d, i=index: d["steps"][i].update(titel="x")
        yield f"step {index} bad action", lambda d, i=index: d["steps"][i].update(action="k8s.x")
        yield f"step {index} confirm text", lambda d, i=index: d["steps"][i].update(confirm="y")
        yield f"step {index} no id", lambda d, i=index: d["steps"][i].pop("id")
        if step.get("with"):
            yield (f"step {index} unknown argument",
                   lambda d, i=index: d["steps"][i]["with"].update(bogus_argument=1))
            first = next(iter(step["with"]))
            yield (f"step {index} argument as list",
                   lambda d, i=index, k=first: d["steps"][i]["with"].update({k: [[1]]}))
    for index, param in enumerate(doc.get("parameters", [])):
        yield f"parameter {index} secret text", lambda d, i=index: d["parameters"][i].update(
            secret="yes")
        yield f"parameter {index} no description", lambda d, i=index: d["parameters"][i].pop(
            "description")


@pytest.mark.parametrize("path", BUILTIN_FILES, ids=lambda p: p.stem)
def test_both_reject_the_same_breakages(path: Path) -> None:
    original = yaml.safe_load(path.read_text())
    validator = jsonschema.Draft202012Validator(json_schema())
    checked = 0
    for name, mutate in _mutations(original):
        doc = copy.deepcopy(original)
        mutate(doc)
        text = yaml.dump(doc, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True)
        ours = validate_runbook(text.encode(), "mutated.yaml")
        assert not ours.ok, f"{path.name}: validator accepted '{name}'"
        assert not validator.is_valid(doc), f"{path.name}: JSON Schema accepted '{name}'"
        checked += 1
    assert checked > 30
