"""The runbook actions: names, argument signatures and the permissions each one needs.

The validator checks steps against these signatures; the executors (tui.actions) register
under the same names, so a runbook that validates names only actions that exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.domain.schema import (
    AnyValue,
    Bool,
    Duration,
    Field,
    Int,
    ListOf,
    MapOf,
    Num,
    Obj,
    Str,
)


@dataclass(frozen=True)
class Permission:
    """A Kubernetes verb on a resource that an action needs (checked by SelfSubjectAccessReview)."""

    verb: str
    resource: str
    group: str = ""
    subresource: str = ""

    def label(self) -> str:
        """`patch deployments.apps/scale`-style text."""
        res = f"{self.resource}.{self.group}" if self.group else self.resource
        return f"{self.verb} {res}" + (f"/{self.subresource}" if self.subresource else "")


@dataclass(frozen=True)
class ActionSpec:
    """One action a step can take."""

    name: str
    summary: str
    args: tuple[Field, ...]
    permissions: tuple[Permission, ...] = ()
    changes_state: bool = False
    needs_command: bool = False

    @property
    def arguments(self) -> Obj:
        """The schema of the step's `with:` mapping."""
        return Obj(self.args, what=f"the arguments of {self.name}")


def _ns() -> Field:
    return Field("namespace", Str(min_length=1), "Kubernetes namespace", required=True)


def _deploy() -> Field:
    return Field("deployment", Str(min_length=1), "Deployment name", required=True)


_TIMEOUT = Field("timeout", Duration(), "give up after this long")
_GET_DEPLOY = Permission("get", "deployments", "apps")
_LIST_RS = Permission("list", "replicasets", "apps")
_PATCH_DEPLOY = Permission("patch", "deployments", "apps")

ACTIONS: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in (
        ActionSpec(
            "k8s.snapshot",
            "save deployment, ReplicaSets, pods, services and events as YAML in the incident",
            (_ns(), Field("deployment", Str(), "limit the snapshot to this Deployment"),
             Field("output", Str(), "file name inside the incident folder")),
            (_GET_DEPLOY, _LIST_RS, Permission("list", "pods"), Permission("list", "services"),
             Permission("list", "events")),
        ),
        ActionSpec(
            "k8s.rollout_history",
            "list revisions with change-cause and the diff between current and target",
            (_ns(), _deploy(),
             Field("to_revision", Int(minimum=0, templated=True), "revision to compare with")),
            (_GET_DEPLOY, _LIST_RS),
        ),
        ActionSpec(
            "k8s.rollout_undo",
            "roll a Deployment back to the previous or a given revision (kubectl semantics)",
            (_ns(), _deploy(),
             Field("to_revision", Int(minimum=0, templated=True), "0 or absent: previous"),
             Field("resume_if_paused", Bool(), "resume a paused Deployment first (confirmed)")),
            (_GET_DEPLOY, _LIST_RS, _PATCH_DEPLOY),
            changes_state=True,
        ),
        ActionSpec(
            "k8s.rollout_status",
            "wait until the rollout is complete, judged by fresh conditions",
            (_ns(), _deploy(), _TIMEOUT),
            (_GET_DEPLOY, Permission("watch", "deployments", "apps"), _LIST_RS),
        ),
        ActionSpec(
            "k8s.scale",
            "set a Deployment's replicas (0 for maintenance mode)",
            (_ns(), _deploy(),
             Field("replicas", Int(minimum=0, templated=True), "desired replicas", True)),
            (_GET_DEPLOY, Permission("patch", "deployments", "apps", "scale")),
            changes_state=True,
        ),
        ActionSpec(
            "k8s.patch_service_selector",
            "switch a Service's selector (blue-green) after checking the selected pods are ready",
            (_ns(), Field("service", Str(min_length=1), "Service name", True),
             Field("selector", MapOf(Str()), "labels the Service should select", True),
             Field("require_ready", Bool(), "refuse unless the newly selected pods are ready")),
            (Permission("get", "services"), Permission("patch", "services"),
             Permission("list", "pods")),
            changes_state=True,
        ),
        ActionSpec(
            "k8s.set_env",
            "set environment variables on a Deployment's containers (starts a rollout)",
            (_ns(), _deploy(), Field("container", Str(), "only this container"),
             Field("env", MapOf(Str()), "NAME: value pairs", True)),
            (_GET_DEPLOY, _PATCH_DEPLOY),
            changes_state=True,
        ),
        ActionSpec(
            "k8s.patch_configmap",
            "merge keys into a ConfigMap's data",
            (_ns(), Field("name", Str(min_length=1), "ConfigMap name", True),
             Field("data", MapOf(Str()), "keys and values to set", True)),
            (Permission("get", "configmaps"), Permission("patch", "configmaps")),
            changes_state=True,
        ),
        ActionSpec(
            "k8s.rbac_check",
            "check with SelfSubjectAccessReview that every action of the runbook is allowed",
            (_ns(), Field("extra", ListOf(Str()), "more checks as 'verb resource[.group]'")),
            (Permission("create", "selfsubjectaccessreviews", "authorization.k8s.io"),),
        ),
        ActionSpec(
            "http.request",
            "call an HTTP API (feature flags, status page, chat); secrets from the environment",
            (Field("url", Str(min_length=1), "URL", True),
             Field("method", Str(choices=("GET", "POST", "PUT", "PATCH", "DELETE")), "verb"),
             Field("headers", MapOf(Str()), "headers; use {{ parameters }} marked secret"),
             Field("json", AnyValue(), "JSON body"),
             Field("body", Str(), "raw body"),
             Field("expect_status", ListOf(Int(minimum=100)), "acceptable status codes"),
             _TIMEOUT),
            changes_state=True,
        ),
        ActionSpec(
            "http.check",
            "probe a URL: status, body text, a JSON field, latency",
            (Field("url", Str(min_length=1), "URL", True),
             Field("headers", MapOf(Str()), "headers, e.g. a token from a secret parameter"),
             Field("expect_status", Int(minimum=100), "status code (default 200)"),
             Field("body_contains", Str(), "text the body must contain"),
             Field("json_field", Str(), "dotted path of a JSON field to compare"),
             Field("json_equals", AnyValue(), "value the JSON field must equal"),
             Field("latency_budget", Duration(), "slowest acceptable response"),
             Field("retries", Int(minimum=0), "extra attempts before failing"),
             _TIMEOUT),
        ),
        ActionSpec(
            "prom.check",
            "query Prometheus and compare with a threshold and the pre-release baseline",
            (Field("query", Str(min_length=1), "PromQL, or the name of a runbook metric", True),
             Field("threshold", Num(), "bad beyond this value"),
             Field("direction", Str(choices=("above_is_bad", "below_is_bad")), "which way"),
             Field("baseline_tolerance", Num(), "allowed ratio to the baseline, e.g. 1.2"),
             Field("for", Duration(), "the value must hold this long"),
             Field("prometheus_url", Str(), "override the Prometheus URL")),
        ),
        ActionSpec(
            "shell",
            "run the step's command as an argv list (no shell), with timeout and output cap",
            (_TIMEOUT, Field("cwd", Str(), "working directory"),
             Field("env", MapOf(Str()), "extra environment variables"),
             Field("expect_exit", Int(), "exit code that means success (default 0)"),
             Field("expect_output", Str(), "text the output must contain"),
             Field("output_cap", Int(minimum=1), "keep at most this many bytes of output")),
            changes_state=True,
            needs_command=True,
        ),
        ActionSpec(
            "manual",
            "the operator does this and confirms it",
            (Field("instructions", Str(), "what to do"),
             Field("message", Str(), "text to post or send, with {{ parameters }} filled in")),
        ),
        ActionSpec(
            "wait",
            "pause, e.g. to let metrics settle",
            (Field("duration", Duration(), "how long", True),),
        ),
    )
}

ACTION_NAMES = tuple(ACTIONS)
