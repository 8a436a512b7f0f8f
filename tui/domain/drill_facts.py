"""What the scorer reads from one drill's journal, gathered once: times, the truth, the record,
the windows in which runbook steps ran and which cluster changes they account for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tui.domain import incident as ev
from tui.domain.drill_timing import ScenarioClock, clock_text, epoch, incident_clock
from tui.domain.incident import IncidentState, JournalEvent
from tui.domain.runbook import Runbook
from tui.domain.status import IncidentStatus

# Steps that may run kubectl or curl themselves: their changes carry no rollback-tui agent.
WINDOW_ACTIONS = ("shell", "http.request", "http.check")
WINDOW_SLACK = 2.0  # wall seconds around a step's window (journal and record stamp apart)
PRODUCT_AGENT = "rollback-tui"
ROLLBACK = "ROLLBACK"


@dataclass(frozen=True)
class StepWindow:
    """One attempt of a runbook step, from step.started to step.finished (open: still running)."""

    step_id: str
    action: str
    start: float
    end: float | None


@dataclass
class DrillFacts:
    """The journal of one drill, read for scoring."""

    state: IncidentState
    events: Sequence[JournalEvent]
    runbook: Runbook | None
    clock: ScenarioClock
    truth: dict[str, Any] | None
    opened: float | None
    ended: float | None  # resolved_at; None while open
    now: float | None  # the last journaled moment (the provisional end of an open drill)
    windows: list[StepWindow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def resolved(self) -> bool:
        """Whether the drill's incident is resolved."""
        return self.state.status is IncidentStatus.RESOLVED

    @property
    def decision(self) -> dict[str, Any] | None:
        """The decision record, if one was journaled."""
        return self.state.decision

    @property
    def decision_value(self) -> str | None:
        """ROLLBACK, FIX FORWARD or WORKAROUND, if decided."""
        return str(self.decision.get("decision")) if self.decision else None

    @property
    def decided_at(self) -> float | None:
        """When the decision was recorded (epoch)."""
        return epoch((self.decision or {}).get("decided_at"))

    @property
    def detected_at(self) -> float | None:
        """When the issue was detected: the decision record's, else the incident's opening."""
        return epoch((self.decision or {}).get("detected_at")) or self.opened

    @property
    def recommended(self) -> str | None:
        """The journaled assessment's recommendation (the seed's criteria), if assessed."""
        rec = (self.state.assessment or {}).get("recommendation") or {}
        return str(rec["decision"]) if rec.get("decision") else None

    @property
    def truth_decision(self) -> str | None:
        """The scenario's right decision, if it has a ground truth."""
        return str(self.truth["decision"]) if self.truth and self.truth.get("decision") else None

    @property
    def strategy(self) -> str | None:
        """The strategy decided on: the decision record's, else the runbook's."""
        chosen = (self.decision or {}).get("strategy")
        return str(chosen) if chosen else (self.runbook.strategy if self.runbook else None)

    @property
    def record(self) -> dict[str, Any] | None:
        """The drill's record of changes (drill.record), if journaled."""
        return self.state.drill_record

    def end_or_now(self) -> float | None:
        """The drill's end, or for an open one its last journaled moment."""
        return self.ended if self.ended is not None else self.now

    def scenario_seconds(self, start: float | None, end: float | None) -> float | None:
        """Scenario seconds between two wall moments."""
        return self.clock.between(start, end)

    def effective_changes(self) -> list[dict[str, Any]]:
        """Changes that changed something: not dry runs, not refused."""
        return [c for c in (self.record or {}).get("changes") or []
                if not c.get("dry_run") and int(c.get("status") or 0) < 400]

    def attributed(self, change: dict[str, Any]) -> bool:
        """Whether a change was the runbook's: the product's agent, or inside a step's window
        of a step that runs commands or HTTP calls itself."""
        if str(change.get("user_agent", "")).startswith(PRODUCT_AGENT):
            return True
        at = epoch(change.get("at"))
        if at is None:
            return False
        return any(w.start - WINDOW_SLACK <= at <= (w.end if w.end is not None else at)
                   + WINDOW_SLACK for w in self.windows if w.action in WINDOW_ACTIONS)


def change_line(change: dict[str, Any]) -> str:
    """`kubectl PATCH deployments production/checkout at 12:03:11`."""
    agent = str(change.get("user_agent") or "").split("/", 1)[0].split(" ", 1)[0] or \
        "an unnamed client"
    where = "/".join(p for p in (change.get("namespace"), change.get("name")) if p)
    kind = str(change.get("kind") or "")
    if change.get("subresource"):
        kind = f"{kind}/{change['subresource']}" if kind else str(change["subresource"])
    what = " ".join(p for p in (kind, where) if p) or str(change.get("path", ""))
    return f"{agent} {change.get('method', '?')} {what} at {clock_text(epoch(change.get('at')))}"


def gather(state: IncidentState, events: Sequence[JournalEvent], runbook: Runbook | None
           ) -> DrillFacts:
    """Read a drill's journal (and its state replayed from it) for scoring."""
    scenario = state.drill_scenario or {}
    opened = epoch(state.opened_at)
    truth = scenario.get("truth") if isinstance(scenario.get("truth"), dict) else None
    facts = DrillFacts(state, events, runbook, incident_clock(state), truth, opened,
                       epoch(state.resolved_at), epoch(state.last_ts))
    actions = {s.id: s.action for s in runbook.steps} if runbook else {}
    started: dict[str, float] = {}
    for event in events:
        step_id = str(event.data.get("step_id", ""))
        if event.type == ev.STEP_STARTED and (moment := epoch(event.ts)) is not None:
            started[step_id] = moment
        elif event.type == ev.STEP_FINISHED and step_id in started:
            # Without the runbook every step's window counts (its action is unknown).
            facts.windows.append(StepWindow(step_id, actions.get(step_id, "shell"),
                                            started.pop(step_id), epoch(event.ts)))
    facts.windows += [StepWindow(k, actions.get(k, "shell"), v, None) for k, v in started.items()]
    if state.drill_scenario is None:
        facts.warnings.append("the drill's scenario was not journaled (no drill.started): the "
                              "ground truth and the drill's start are unknown")
    elif truth is None:
        facts.warnings.append(f"scenario {scenario.get('scenario')} has no ground truth: the "
                              "decision is judged by the seed's criteria only, strategy and "
                              "target are not scored")
    if facts.record is None:
        facts.warnings.append("the drill's change record is missing (no drill.record): "
                              "improvised and incomplete rollbacks cannot be told")
    if runbook is None:
        facts.warnings.append("the runbook is not available: steps and checklist are scored "
                              "from the journal alone")
    if not facts.resolved:
        facts.warnings.append("the drill is still open: this score is provisional")
    return facts
