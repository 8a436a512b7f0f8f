"""Assessment and decision: record the inputs and the recommendation, record the decision,
then freeze what every later step is judged against — the rollback targets and the baselines."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tui.actions.base import run_async
from tui.actions.k8s import revision_facts
from tui.adapters.kube_types import KubeError, Revision, TemplateDiff
from tui.domain import incident as ev
from tui.domain.assessment import (
    Assessment,
    Decision,
    DecisionRecord,
    Recommendation,
    format_duration,
    recommend,
    recommendation_to_dict,
)
from tui.domain.drill_timing import incident_clock
from tui.domain.runbook import render_args
from tui.domain.target import RolloutTarget, TargetError, choose_target
from tui.session.core import SessionCore, SessionError


@dataclass(frozen=True)
class DecisionInput:
    """The seed's decision record as the operator fills it in, plus the strategy and meeting."""

    decision: Decision
    rationale: str
    authorized_by: str
    issue: str = ""
    impact: str = ""
    expected_resolution: str = ""
    team_lead: str = ""
    engineers: tuple[str, ...] = ()
    support: str = ""
    strategy: str = ""
    detected_at: datetime | None = None
    meeting_started_at: datetime | None = None
    taken: str = ""
    picks: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class UndoTarget:
    """A Deployment a runbook step rolls back (namespace, name) and the step that does it."""

    namespace: str
    deployment: str
    step_id: str

    @property
    def key(self) -> str:
        """`namespace/deployment`."""
        return f"{self.namespace}/{self.deployment}"


class DecidingMixin(SessionCore):
    """assess / decide / freeze / undo_targets / history."""

    def assess(self, assessment: Assessment) -> Recommendation:
        """Record (or revise) the assessment with the recommendation it leads to."""
        recommendation = recommend(assessment)
        self.record(ev.ASSESSMENT_RECORDED, {
            "inputs": assessment.to_dict(), "impact_score": recommendation.impact_score,
            "recommendation": recommendation_to_dict(recommendation),
            "votes": recommendation_to_dict(recommendation)["votes"],
            "revision": self.state.assessments + 1})
        return recommendation

    def decide(self, decision: DecisionInput) -> DecisionRecord:
        """Record the decision in the seed's Decision Template, with its meeting's length."""
        if self.state.decided and self.state.steps:
            raise SessionError("the decision was taken and steps have run; record a note "
                               "instead of deciding again")
        now = self.config.clock()
        detected = min(decision.detected_at or self._detected_at() or now, now)
        assessment = self.state.assessment or {}
        impact = decision.impact or _impact_text(assessment)
        record = DecisionRecord(
            issue=decision.issue or self.runbook.title, impact=impact, detected_at=detected,
            decided_at=now, decision=decision.decision, rationale=decision.rationale,
            expected_resolution=decision.expected_resolution or str(
                self.runbook.estimated_time.get("expected", "")),
            authorized_by=decision.authorized_by, team_lead=decision.team_lead,
            engineers=decision.engineers, support=decision.support)
        # In a drill, durations are the drill's time, as the operator's clocks showed them.
        pace = incident_clock(self.state)
        lost = pace.between(detected.timestamp(), now.timestamp()) or 0.0
        data: dict[str, Any] = {
            **record.to_dict(), "strategy": decision.strategy or self.runbook.strategy,
            "time_lost": format_duration(timedelta(seconds=max(lost, 0.0)))}
        if decision.taken:
            data["taken"] = decision.taken
        if decision.meeting_started_at is not None:
            started = min(decision.meeting_started_at, now)
            data.update(meeting_started_at=started.isoformat(), meeting_ended_at=now.isoformat(),
                        meeting_seconds=round(pace.between(started.timestamp(),
                                                           now.timestamp()) or 0.0, 1))
        if decision.picks:
            data["picks"] = dict(decision.picks)
        self.record(ev.DECISION_RECORDED, data)
        self.fill_known_defaults()
        return record

    def _detected_at(self) -> datetime | None:
        minutes = ((self.state.assessment or {}).get("inputs") or {}).get("duration_minutes")
        if minutes is None or self.state.opened_at is None:
            return None
        opened = datetime.fromisoformat(self.state.opened_at)
        return opened - timedelta(minutes=float(minutes))

    # ---- targets -----------------------------------------------------------------------------
    def undo_targets(self) -> list[UndoTarget]:
        """The Deployments this runbook rolls back, in step order."""
        found: dict[str, UndoTarget] = {}
        for step in self.runbook.steps:
            if step.action != "k8s.rollout_undo":
                continue
            try:
                args = render_args(dict(step.args), self.values)
            except ValueError:
                continue
            namespace = str(args.get("namespace") or self.values.get("namespace") or "")
            target = UndoTarget(namespace, str(args.get("deployment", "")), step.id)
            found.setdefault(target.key, target)
        return list(found.values())

    def history(self, namespace: str, deployment: str) -> list[Revision]:
        """A Deployment's revisions, oldest first (blocking)."""
        return self.kube.rollout_history(deployment, namespace=namespace)

    def revision_diff(self, namespace: str, deployment: str, revision: int) -> TemplateDiff:
        """What rolling back to `revision` would change against the live template (blocking)."""
        return self.kube.revision_diff(deployment, revision, namespace=namespace)

    def proposed_target(self, undo: UndoTarget, pick: int | None = None) -> RolloutTarget:
        """The target the decision would freeze for one Deployment (reads the history)."""
        try:
            revisions = [revision_facts(r) for r in self.history(undo.namespace, undo.deployment)]
            # The `release` parameter names the bad release when it is one of the versions.
            release = self.values.get("release") or ""
            bad = release if any(r.version == release for r in revisions) else None
            return choose_target(
                revisions, namespace=undo.namespace, deployment=undo.deployment,
                expected_version=self.values.get("expected_version") or None,
                bad_version=bad, pick=pick)
        except TargetError as exc:
            raise SessionError(str(exc)) from None
        except KubeError as exc:
            raise SessionError(f"cannot read the rollout history of deployment "
                               f"{undo.deployment}: {exc}") from None

    def freeze(self, picks: Mapping[str, int] | None = None) -> list[RolloutTarget]:
        """Resolve and freeze every rollback target and the metric baselines (blocking).

        A target that cannot be resolved raises SessionError (nothing about it is frozen);
        a baseline that cannot be read is journaled as a warning and left out.
        """
        picks = dict(picks or (self.state.decision or {}).get("picks") or {})
        targets = [self.proposed_target(undo, picks.get(undo.key)) for undo in
                   self.undo_targets() if self.state.targets.get(undo.key) is None]
        for target in targets:
            self.record(ev.TARGET_RESOLVED, target.to_dict())
            self.ctx.targets[target.key] = target
        self.show_targets_in_commands()
        if not self.state.baselines_frozen_at:
            self.capture_baselines()
        return targets

    # ---- baselines ---------------------------------------------------------------------------
    def capture_baselines(self) -> None:
        """Each runbook metric over the hour before the release, frozen for later checks."""
        from tui.adapters.prometheus import Prometheus, PrometheusError

        url = self.ctx.prometheus_url
        if not self.runbook.metrics or not url:
            return
        end = time.time() - self.config.baseline_end_ago
        window = self.config.baseline_window

        async def capture(query: str) -> Any:
            async with Prometheus(url) as prometheus:
                return await prometheus.baseline(query, end, window=window)

        captured = []
        for metric in self.runbook.metrics:
            query = render_args(metric.query, self.values)
            try:
                baseline = run_async(capture(query))
            except PrometheusError as exc:
                self.journal_error(f"no baseline for {metric.name}: {exc}")
                continue
            self.ctx.baselines[metric.name] = baseline
            self.record(ev.BASELINE_CAPTURED, {"metric": metric.name, **baseline.to_dict()})
            captured.append(metric.name)
        self.record(ev.BASELINES_FROZEN, {"metrics": captured, "window": window,
                                          "end": end})


def _impact_text(assessment: Mapping[str, Any]) -> str:
    inputs = assessment.get("inputs") or {}
    if not inputs:
        return "not assessed in the tool"
    score = assessment.get("impact_score")
    return (f"{inputs.get('users_affected_pct')}% of users, {inputs.get('severity')}"
            + (f", impact score {score:g}" if isinstance(score, int | float) else ""))
