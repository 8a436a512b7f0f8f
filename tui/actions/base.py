"""What every action executor gets (the context) and gives back (the outcome)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from tui.domain.durations import parse_duration
from tui.domain.incident import Redactor
from tui.domain.runbook import Runbook
from tui.domain.status import StepStatus
from tui.domain.target import RolloutTarget

if TYPE_CHECKING:
    from tui.adapters.kube import Kube
    from tui.adapters.prometheus import Baseline

T = TypeVar("T")
OK, FAILED, SKIPPED, INTERRUPTED = (StepStatus.OK, StepStatus.FAILED, StepStatus.SKIPPED,
                                    StepStatus.INTERRUPTED)


class ActionError(Exception):
    """An action could not run as asked (bad argument, missing connection); names the fix."""


@dataclass
class Outcome:
    """What an action did: ok, failed or skipped, a one-line summary, and details."""

    status: str
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True unless the action failed or was cut short."""
        return self.status not in (FAILED, INTERRUPTED)


@dataclass
class ActionContext:
    """Everything an executor may use; built once per run by the runner (or the app)."""

    runbook: Runbook
    values: dict[str, str]
    incident_dir: Path
    redactor: Redactor
    dry_run: bool = False
    connect_kube: Callable[[], Kube] | None = None
    prometheus_url: str | None = None
    baselines: dict[str, Baseline] = field(default_factory=dict)
    confirm: Callable[[str], bool] = lambda _question: False
    operator_done: Callable[[str], bool] = lambda _instructions: False
    progress: Callable[[str], None] = lambda _line: None
    cancel: threading.Event = field(default_factory=threading.Event)
    time_scale: float = 1.0
    state: dict[str, Any] = field(default_factory=dict)
    targets: dict[str, RolloutTarget] = field(default_factory=dict)
    _kube: Kube | None = None

    @property
    def kube(self) -> Kube:
        """The Kubernetes connection, made on first use."""
        if self._kube is None:
            if self.connect_kube is None:
                raise ActionError("this run has no Kubernetes connection (give --kubeconfig / "
                                  "--context, or run inside a cluster)")
            self._kube = self.connect_kube()
        return self._kube

    def seconds(self, text: str | None, default: str) -> float:
        """A duration argument in real seconds (drills compress waits by `time_scale`)."""
        return parse_duration(text or default) / self.time_scale

    def network_seconds(self, text: str | None, default: str) -> float:
        """A network limit (a request timeout, a latency budget) in real seconds: answers do
        not come faster in a drill, so these are never compressed."""
        return parse_duration(text or default)

    def process_seconds(self, text: str | None, default: str) -> float:
        """A command's time limit: compressed in a drill like a wait, but never below the
        smaller of the limit itself and 30 s, since psql or kubectl take real time."""
        limit = parse_duration(text or default)
        return max(limit / self.time_scale, min(limit, PROCESS_FLOOR))

    def namespace(self, args: Mapping[str, Any]) -> str:
        """The namespace argument, else the runbook's `namespace` parameter, else the kube's."""
        ns = args.get("namespace") or self.values.get("namespace")
        return str(ns) if ns else self.kube.namespace

    def metric(self, name: str) -> Any:
        """The runbook metric of that name, or None."""
        return next((m for m in self.runbook.metrics if m.name == name), None)


PROCESS_FLOOR = 30.0  # seconds: the least a drill leaves a command of its time limit


def generation_key(namespace: str, deployment: str) -> str:
    """Where an undo leaves the generation its rollout status must observe (in ctx.state)."""
    return f"generation:{namespace}/{deployment}"


class Executor(Protocol):
    """One action: describe what it would do, or do it."""

    name: str

    def describe(self, args: Mapping[str, Any], ctx: ActionContext) -> str:
        """The exact API call or command, for dry-run and the journal."""

    def run(self, args: Mapping[str, Any], ctx: ActionContext) -> Outcome:
        """Do it (blocking; the app calls it from a thread worker)."""


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run an adapter coroutine from a worker thread (which has no event loop of its own)."""
    return asyncio.run(coro)


def as_int(value: Any, what: str) -> int:
    """An integer argument that may have come from a {{ parameter }} (text)."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise ActionError(f"{what} must be a whole number, got {value!r}") from None
