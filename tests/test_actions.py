"""The action registry and executors' dry-run descriptions; `rollback run` input errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO

from tui.actions.base import ActionContext, ActionError
from tui.actions.k8s import parse_permission
from tui.actions.registry import REGISTRY, describe, execute
from tui.domain.actions import ACTIONS, Permission
from tui.domain.incident import Redactor
from tui.domain.runbook import validate_runbook


def _runbook(name: str = "revert-deployment"):
    path = REPO / "runbooks" / f"{name}.yaml"
    return validate_runbook(path.read_bytes(), str(path)).runbook


def test_every_action_has_an_executor() -> None:
    assert set(REGISTRY) == set(ACTIONS)


def test_permission_text_round_trips() -> None:
    for text in ("get deployments.apps", "patch deployments.apps/scale", "list pods"):
        assert parse_permission(text).label() == text
    assert parse_permission("create selfsubjectaccessreviews.authorization.k8s.io") == \
        Permission("create", "selfsubjectaccessreviews", "authorization.k8s.io")
    with pytest.raises(ActionError):
        parse_permission("patch")


def test_dry_run_descriptions_name_the_exact_call(tmp_path: Path) -> None:
    runbook = _runbook()
    values = runbook.resolve_parameters({"expected_version": "2.3.1"})
    values.update(incident_id="x", incident_dir=str(tmp_path))
    ctx = ActionContext(runbook=runbook, values=values, incident_dir=tmp_path,
                        redactor=Redactor(()), dry_run=True)
    steps = {s.id: s for s in runbook.steps}
    assert describe(steps["error_rate"], ctx).startswith(
        'GET http://127.0.0.1:9090/api/v1/query?query='
        'service:http_requests_errors:ratio_rate5m{service="checkout"}')
    assert describe(steps["health_check"], ctx) == (
        "GET http://127.0.0.1:8080/health expecting status 200")
    assert describe(steps["announce"], ctx) == "operator: Post to the team chat."
    # Kubernetes actions need a connection even to describe where they act; without one the
    # description says so instead of raising.
    assert "no Kubernetes connection" in describe(steps["rollout_undo"], ctx)
    outcome = execute(steps["rollout_undo"], ctx)
    assert outcome.status == "failed" and "no Kubernetes connection" in outcome.summary
    # Manual steps are skipped when nobody can confirm them; checks are skipped in a dry run.
    assert execute(steps["announce"], ctx).status == "skipped"
    assert execute(steps["health_check"], ctx).status == "skipped"


def test_run_input_errors_exit_2(run_cli) -> None:
    cases = (
        (("run", "revert-deployment"), "add --headless"),
        (("run", "nope", "--headless", "--yes"), "no runbook 'nope'"),
        (("run", "revert-deployment", "--headless", "--yes"), "expected_version"),
        (("run", "revert-deployment", "--headless", "-p", "oops"), "expected NAME=VALUE"),
        (("run", "revert-deployment", "--headless", "-p", "expected_version=1",
          "-p", "namespce=x"), "did you mean 'namespace'"),
        (("run", "revert-deployment", "--headless", "-p", "expected_version=1"), "--yes"),
    )
    for args, expected in cases:
        result = run_cli(*args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert expected in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_settings_file_errors_are_usage_errors(run_cli, rollback_home) -> None:
    config = rollback_home / "config" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("contxt: prod\n")
    result = run_cli("run", "revert-deployment", "--headless", "--yes",
                     "-p", "expected_version=1")
    assert result.returncode == 2
    assert f"{config}:1:1: unknown key 'contxt'" in result.stderr


def test_a_drill_leaves_commands_real_time_to_finish(tmp_path: Path) -> None:
    """A command's time limit compresses like a wait, but never below min(limit, 30 s): a
    1-second command with a 10 s limit finishes at speed 20 (10 s / 20 would kill it)."""
    ctx = ActionContext(runbook=_runbook(), values={}, incident_dir=tmp_path,
                        redactor=Redactor(()), time_scale=20)
    outcome = REGISTRY["shell"].run({"__command__": "sleep 1", "timeout": "10s"}, ctx)
    assert outcome.ok, outcome.summary
    assert ctx.process_seconds("10s", "0s") == 10
    assert ctx.process_seconds("1h", "0s") == 180 and ctx.process_seconds("10m", "0s") == 30
