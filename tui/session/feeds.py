"""Live feeds beside the work: the target's pods, ReplicaSets and Deployments (one reflector
each, over one connection), their rollout progress judged as kubectl would, and the runbook's
metrics against the baselines frozen at decision — for any front end, never Textual."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tui.actions.base import generation_key
from tui.adapters.kube_base import label_selector
from tui.adapters.kube_pods import deployment_row
from tui.adapters.kube_reflector import (
    DEPLOYMENTS,
    PODS,
    REPLICASETS,
    ReflectorState,
    ReflectorStatus,
    Snapshot,
)
from tui.adapters.kube_types import KubeError
from tui.domain import incident as ev
from tui.domain.metrics import Baseline, MetricView
from tui.domain.pods import PodRow, pod_row
from tui.domain.rollout import ReplicaSetInfo, RolloutProgress, judge, replicaset_info
from tui.session.events import Journaled, SessionEvent, StepStarted

if TYPE_CHECKING:
    from tui.session.session import IncidentSession

# Labels that tell the two sides of a blue-green pair apart: left out of a Service's selector
# so the pod panel shows both sides while traffic moves.
SIDE_LABELS = frozenset({"version", "color", "colour", "track", "slot",
                         "app.kubernetes.io/version"})
# Steps whose start is "the moment the rollback started" on the metric charts.
ROLLBACK_ACTIONS = frozenset({"k8s.rollout_undo", "k8s.patch_service_selector",
                              "http.request", "k8s.patch_configmap", "k8s.set_env"})


@dataclass(frozen=True)
class Scope:
    """What the pod panel follows: a label selector, and which Deployments it covers."""

    namespace: str
    selector: str
    deployments: tuple[str, ...]
    described: str


@dataclass
class KubeFeedState:
    """The latest of each reflector, kept to judge the rollouts when any of them changes."""

    replicasets: dict[str, ReplicaSetInfo] = field(default_factory=dict)
    deployments: dict[str, dict[str, Any]] = field(default_factory=dict)
    statuses: dict[str, ReflectorStatus] = field(default_factory=dict)


def worst(statuses: Mapping[str, ReflectorStatus]) -> ReflectorStatus | None:
    """The status the UI shows: retrying beats listing beats watching."""
    order = {ReflectorState.RETRYING: 0, ReflectorState.LISTING: 1, ReflectorState.WATCHING: 2,
             ReflectorState.STOPPED: 3}
    return min(statuses.values(), key=lambda s: order.get(s.state, 9), default=None)


class LiveFeeds:
    """Pods, rollouts and metrics of one incident, pushed to callbacks as they change."""

    def __init__(self, session: IncidentSession, *,
                 on_pods: Callable[[Snapshot[PodRow]], None],
                 on_rollouts: Callable[[tuple[RolloutProgress, ...]], None],
                 on_status: Callable[[ReflectorStatus | None], None],
                 on_metrics: Callable[[Mapping[str, MetricView]], None],
                 coalesce: float = 0.2) -> None:
        """Callbacks run on the feeds' own threads (or the metric loop): marshal them."""
        self.session = session
        self.on_pods, self.on_rollouts = on_pods, on_rollouts
        self.on_status, self.on_metrics = on_status, on_metrics
        self.coalesce = coalesce
        self.state = KubeFeedState()
        self.scope: Scope | None = None
        self._lock = threading.Lock()
        self._metric_feed: Any = None

    # ---- Kubernetes --------------------------------------------------------------------------
    def resolve_scope(self) -> Scope:
        """The runbook's Deployment's pods; without one (blue-green), its Service's pods on
        both sides."""
        kube, values = self.session.kube, self.session.values
        namespace = str(values.get("namespace") or kube.namespace)
        name = str(values.get("deployment") or "")
        if name:
            try:
                body = kube.get_deployment(name, namespace=namespace)
                return Scope(namespace, label_selector((body.get("spec") or {}).get("selector")),
                             (name,), f"deployment {name}")
            except KubeError as exc:
                if exc.status != 404:
                    raise
        service = str(values.get("service") or name)
        body = kube.get_service(service, namespace=namespace)
        wanted = {k: v for k, v in ((body.get("spec") or {}).get("selector") or {}).items()
                  if k not in SIDE_LABELS}
        return Scope(namespace, label_selector({"matchLabels": wanted}), (),
                     f"service {service} (every side)")

    def run_kube(self, stop: threading.Event) -> None:
        """Follow pods, ReplicaSets and Deployments until `stop`; never raises."""
        try:
            scope = self.scope = self.resolve_scope()
        except KubeError as exc:
            self.on_status(ReflectorStatus(ReflectorState.RETRYING, str(exc), error=exc))
            return
        kube = self.session.kube
        deployment_filter = ({"field_selector": f"metadata.name={scope.deployments[0]}"}
                             if len(scope.deployments) == 1 else
                             {"label_selector": scope.selector})
        reflectors = [
            kube.reflector(PODS, pod_row, self.on_pods, namespace=scope.namespace,
                           label_selector=scope.selector, coalesce=self.coalesce,
                           on_status=self._status("pods"), what=f"pods of {scope.described}"),
            kube.reflector(REPLICASETS, replicaset_info, self._replicasets,
                           namespace=scope.namespace, label_selector=scope.selector,
                           coalesce=self.coalesce, on_status=self._status("replicasets"),
                           what=f"replicasets of {scope.described}"),
            kube.reflector(DEPLOYMENTS, deployment_row, self._deployments,
                           namespace=scope.namespace, coalesce=self.coalesce,
                           on_status=self._status("deployments"),
                           what=f"deployments of {scope.described}", **deployment_filter),
        ]
        threads = [threading.Thread(target=r.run, args=(stop,), daemon=True,
                                    name=f"feed-{r.what}") for r in reflectors[1:]]
        for thread in threads:
            thread.start()
        reflectors[0].run(stop)
        for thread in threads:
            thread.join(timeout=2)

    def _status(self, which: str) -> Callable[[ReflectorStatus], None]:
        def report(status: ReflectorStatus) -> None:
            with self._lock:
                self.state.statuses[which] = status
                shown = worst(self.state.statuses)
            self.on_status(shown)

        return report

    def _replicasets(self, snapshot: Snapshot[ReplicaSetInfo]) -> None:
        with self._lock:
            self.state.replicasets = dict(snapshot.rows)
        self._judge()

    def _deployments(self, snapshot: Snapshot[dict[str, Any]]) -> None:
        with self._lock:
            self.state.deployments = dict(snapshot.rows)
        self._judge()

    def _judge(self) -> None:
        """Each Deployment's rollout, judged against the generation its undo produced."""
        with self._lock:
            deployments = list(self.state.deployments.values())
            replicasets = list(self.state.replicasets.values())
        progress = []
        for raw in deployments:
            meta = raw.get("metadata") or {}
            key = generation_key(str(meta.get("namespace", "")), str(meta.get("name", "")))
            owned = [rs for rs in replicasets if rs.owner_uid == meta.get("uid")]
            progress.append(judge(raw, owned, self.session.ctx.state.get(key)))
        self.on_rollouts(tuple(sorted(progress, key=lambda p: p.name)))

    def revisions(self) -> dict[str, ReplicaSetInfo]:
        """The ReplicaSets by pod-template hash (the pod panel's revision and version)."""
        with self._lock:
            return {rs.pod_template_hash: rs for rs in self.state.replicasets.values()
                    if rs.pod_template_hash}

    # ---- metrics -----------------------------------------------------------------------------
    async def run_metrics(self, stop: asyncio.Event) -> None:
        """Poll the runbook's metrics until `stop`, judged against the frozen baselines."""
        from tui.session.metric_feed import MetricFeed

        session = self.session
        url = session.ctx.prometheus_url
        if not url or not session.runbook.metrics:
            return
        feed = self._metric_feed = MetricFeed(url, session.runbook.metrics, session.values,
                                              on_update=self.on_metrics,
                                              environ=dict(session.config.environ))
        feed.set_baselines(dict(session.ctx.baselines))
        self._mark_rollback_start(feed)
        unsubscribe = session.subscribe(lambda event: self._on_session(feed, event))
        try:
            async with feed:
                await feed.run(stop)
        finally:
            unsubscribe()

    def _mark_rollback_start(self, feed: Any) -> None:
        for step in self.session.runbook.steps:
            state = self.session.state.steps.get(step.id)
            if step.action in ROLLBACK_ACTIONS and state is not None and state.started_at:
                feed.mark("rollback", datetime.fromisoformat(state.started_at).timestamp())
                self._marked = True
                return

    _marked = False

    def _on_session(self, feed: Any, event: SessionEvent) -> None:
        """Baselines frozen → judge against them; the first rollback step → mark the chart.
        Runs on whichever thread journaled; the feed's methods only set fields."""
        if isinstance(event, Journaled) and event.event.type == ev.BASELINES_FROZEN:
            feed.set_baselines({name: Baseline.from_dict(data)
                                for name, data in event.state.baselines.items()})
        elif (isinstance(event, StepStarted) and not self._marked
              and self.session.step(event.step_id).action in ROLLBACK_ACTIONS):
            self._marked = True
            feed.mark("rollback")
