"""A secret the automatic steps use must have a value before anything runs."""

from __future__ import annotations

import pytest
from conftest import REPO

from tui.domain.parameter_use import parameter_users
from tui.domain.runbook import validate_runbook

GIVEN = {"flag": "new-checkout", "flag_configmap": "checkout-flags", "flag_key": "new-checkout"}


def _runbook(runbook_id: str):
    path = REPO / "runbooks" / f"{runbook_id}.yaml"
    runbook = validate_runbook(path.read_bytes(), str(path)).runbook
    assert runbook is not None
    return runbook


def test_the_first_automatic_user_of_each_parameter_is_named() -> None:
    users = parameter_users(_runbook("feature-flag-disable"))
    assert users["flag_api_token"] == "step identify_flag"
    assert users["flag_api_url"] == "step identify_flag"
    # A manual step's text is read by the operator, not run: it makes no use.
    assert "release" not in users


def test_an_unset_optional_secret_that_a_step_uses_is_refused() -> None:
    runbook = _runbook("feature-flag-disable")
    with pytest.raises(ValueError) as refused:
        runbook.resolve_parameters(GIVEN, environ={})
    message = str(refused.value)
    assert "'flag_api_token'" in message and "step identify_flag" in message
    assert "ROLLBACK_PARAM_FLAG_API_TOKEN" in message


def test_the_secret_from_the_environment_satisfies_it() -> None:
    runbook = _runbook("feature-flag-disable")
    values = runbook.resolve_parameters(GIVEN, environ={"ROLLBACK_PARAM_FLAG_API_TOKEN": "t-123"})
    assert values["flag_api_token"] == "t-123"


def test_a_required_secret_is_reported_once() -> None:
    runbook = _runbook("database-rollback")
    with pytest.raises(ValueError) as refused:
        runbook.resolve_parameters({}, environ={})
    assert str(refused.value).count("'pgpassword'") == 1


SHELL_RUNBOOK = """\
id: listing
title: List a path
version: "1"
owner: team
strategy: revert-deployment
estimated_time: {best: 1m, expected: 2m, worst: 3m}
trigger: {decision_authority: Release manager}
parameters:
  - {name: path, description: a path, required: true}
  - {name: token, description: a token, secret: true}
  - {name: replicas, description: how many, default: "3"}
steps:
  - id: scale
    title: Scale it
    action: k8s.scale
    with: {namespace: prod, deployment: web, replicas: "{{ replicas }}"}
  - id: announce
    title: Announce
    action: manual
    command: echo {{ path }}
  - id: list
    title: List it
    action: shell
    command: ls -l {{ path }} {{ incident_dir }}/x
  - id: send
    title: Send it
    action: shell
    command: curl -H x {{ token }}
verification:
  - id: listed
    item: Listed
    check: {action: shell, command: "test -e {{ path }}"}
"""


def _shell_runbook():
    runbook = validate_runbook(SHELL_RUNBOOK.encode(), "listing.yaml").runbook
    assert runbook is not None
    return runbook


def test_a_value_a_step_would_refuse_is_refused_before_anything_runs() -> None:
    with pytest.raises(ValueError) as refused:
        _shell_runbook().resolve_parameters({"path": "-rf"}, environ={"ROLLBACK_PARAM_TOKEN": "t"})
    message = str(refused.value)
    assert ("parameter 'path': step list would refuse it: value '-rf' would start an argument "
            "with '-'") in message
    assert "check listed would refuse it" in message
    assert "step announce" not in message  # a manual step runs nothing


def test_a_refused_secret_is_named_without_its_value() -> None:
    with pytest.raises(ValueError) as refused:
        _shell_runbook().resolve_parameters({"path": "a"},
                                            environ={"ROLLBACK_PARAM_TOKEN": "-s3cr3t"})
    message = str(refused.value)
    assert "parameter 'token': step send would refuse it" in message
    assert "s3cr3t" not in message


def test_values_every_use_accepts_pass() -> None:
    values = _shell_runbook().resolve_parameters({"path": "a-b/-c"},
                                                 environ={"ROLLBACK_PARAM_TOKEN": "t-1234"})
    assert values == {"path": "a-b/-c", "token": "t-1234", "replicas": "3"}


def test_a_value_an_action_reads_as_a_number_must_be_one() -> None:
    with pytest.raises(ValueError) as refused:
        _shell_runbook().resolve_parameters({"path": "a", "replicas": "three"},
                                            environ={"ROLLBACK_PARAM_TOKEN": "t"})
    assert ("parameter 'replicas': step scale would refuse it: replicas must be a whole number, "
            "got 'three'") in str(refused.value)
