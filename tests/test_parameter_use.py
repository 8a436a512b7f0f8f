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
