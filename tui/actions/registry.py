"""The action registry: one executor per action name of tui.domain.actions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tui.actions import k8s, local, web
from tui.actions.base import FAILED, ActionContext, ActionError, Executor, Outcome
from tui.adapters.kube_types import KubeError
from tui.adapters.prometheus import PrometheusError
from tui.domain.actions import ACTIONS
from tui.domain.runbook import ActionInvocation, Step, render_args
from tui.domain.templating import TemplateError

REGISTRY: dict[str, Executor] = {e.name: e for e in (*k8s.EXECUTORS, *web.EXECUTORS,
                                                      *local.EXECUTORS)}

if set(REGISTRY) != set(ACTIONS):  # pragma: no cover - a developer error, caught at import
    raise RuntimeError(f"executors {sorted(REGISTRY)} do not match actions {sorted(ACTIONS)}")


def arguments(call: Step | ActionInvocation, ctx: ActionContext) -> dict[str, Any]:
    """The call's arguments with parameters filled in (and the command, for shell)."""
    args = dict(render_args(dict(call.args), ctx.values))
    if call.command:
        args["__command__"] = call.command
    return args


def describe(call: Step | ActionInvocation, ctx: ActionContext) -> str:
    """What the call would do, exactly."""
    try:
        return REGISTRY[call.action].describe(arguments(call, ctx), ctx)
    except (ActionError, TemplateError, KubeError) as exc:
        return f"{call.action}: {exc}"


def execute(call: Step | ActionInvocation, ctx: ActionContext) -> Outcome:
    """Run a step or an automatic check; every failure becomes a failed Outcome."""
    try:
        return REGISTRY[call.action].run(arguments(call, ctx), ctx)
    except KubeError as exc:
        return Outcome(FAILED, str(exc), {"error": exc.to_dict()})
    except PrometheusError as exc:
        return Outcome(FAILED, str(exc), {"error": str(exc)})
    except (ActionError, TemplateError) as exc:
        return Outcome(FAILED, str(exc), {"error": str(exc)})
    except Exception as exc:  # noqa: BLE001 - one broken executor must not end the incident
        return Outcome(FAILED, f"unexpected error in {call.action}: {exc!r}",
                       {"error": repr(exc)})


def evidence(call: Step | ActionInvocation, ctx: ActionContext) -> str | None:
    """Proof that a state-changing call already took effect, or None when it did not or
    cannot be told (the caller then asks before running it again)."""
    check = getattr(REGISTRY[call.action], "evidence", None)
    if check is None:
        return None
    try:
        return check(arguments(call, ctx), ctx)
    except (ActionError, TemplateError, KubeError):
        return None


def changes_state(call: Step | ActionInvocation) -> bool:
    """Whether running the call may change the cluster or the world (not a read or a check)."""
    if call.action == "http.request":
        return str(call.args.get("method", "GET")).upper() not in ("GET", "HEAD")
    return ACTIONS[call.action].changes_state


__all__ = ["REGISTRY", "Mapping", "arguments", "changes_state", "describe", "evidence",
           "execute"]
