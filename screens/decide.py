"""Decision: the seed's decision record, the strategy with its time estimate, the meeting timer
with the agenda, readiness (RBAC ✓/✗, automatic pre-rollback checks), the rollback target picked
from the history with its diff — and, once decided, the frozen target and baselines."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Input, RadioButton, RadioSet, Select, Static

from screens.base import IncidentScreen
from tui.actions.k8s import revision_facts
from tui.adapters.kube_types import KubeError
from tui.domain.assessment import Decision
from tui.domain.checklist import checklist
from tui.domain.drill_timing import incident_clock
from tui.domain.metrics import format_value
from tui.domain.status import Phase
from tui.domain.strategies import STRATEGIES
from tui.session.core import SessionError
from tui.session.deciding import DecisionInput, UndoTarget
from widgets.choice import ChoiceButton
from widgets.meeting_timer import MeetingTimer
from widgets.readiness import Readiness
from widgets.revision_picker import RevisionPicker, RevisionRow
from widgets.text import inert

FIELDS = (
    ("rationale", "Rationale — why this decision"),
    ("expected_resolution", "Expected resolution time"),
    ("authorized_by", "Authorized by (name, role)"),
    ("team_lead", "Lead"),
    ("engineers", "Engineers (comma-separated)"),
    ("support", "Support"),
)


def epoch(ts: str | None) -> float | None:
    """Seconds since the epoch of a journal timestamp."""
    if not ts:
        return None
    return datetime.fromisoformat(ts).timestamp()


def diff_text(lines: list[str], deployment: str, revision: int) -> Text:
    """What rolling back to `revision` changes (images, env, config refs, probes, resources)."""
    text = Text()
    text.append(f"rolling {inert(deployment)} back to revision {revision} changes:\n",
                style="bold")
    for line in lines or ["nothing: the same template as the live one"]:
        text.append(f"  {inert(line, 100)}\n")
    text.rstrip()
    return text


def baselines_text(baselines: Mapping[str, Mapping[str, Any]], units: Mapping[str, str],
                   frozen_at: str | None) -> Text:
    """`baselines frozen 04:10 · error_ratio 0.2 % · latency_p95 140 ms`."""
    if not frozen_at:
        return Text("◌ the baselines (the hour before the release) are frozen when the "
                    "decision is recorded", style="dim")
    text = Text(f"✓ baselines frozen {frozen_at[11:16]} UTC", style="bold")
    for name, data in baselines.items():
        text.append(f" · {inert(name)} {format_value(float(data.get('mean', 0)), units.get(name, ''))}")
    if not baselines:
        text.append(" · none could be read (see the warnings)")
    return text


class DecideScreen(IncidentScreen):
    """② Decide: the record, the target, readiness; ^r records and freezes."""

    CSS_PATH = "forms.tcss"
    PHASE = Phase.DECIDE
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "record", "Record decision", id="decide_record", priority=True),
        Binding("ctrl+k", "recheck", "Re-check readiness", id="decide_recheck"),
    ]

    def compose_work(self) -> ComposeResult:
        """Meeting, record, strategy, readiness, target, baselines."""
        with VerticalScroll(id="decide-form", classes="form"):
            yield MeetingTimer(clock=self.app_clock, id="meeting")
            decision = RadioSet(*(ChoiceButton(d.value, name=d.name) for d in Decision),
                                id="decision", classes="choice")
            decision.border_title = "Decision"
            yield decision
            for key, label in FIELDS:
                field = Input(id=key)
                field.border_title = label
                yield field
            strategy = Select([(f"{s.title} — {s.time} ({s.what.lower()}; {s.when})", s.id)
                               for s in STRATEGIES], id="strategy", allow_blank=False)
            strategy.border_title = "Strategy"
            yield strategy
            yield Readiness(id="readiness")
            for undo in self.undo_targets():
                picker = RevisionPicker(undo.deployment, id=f"target-{undo.step_id}",
                                        classes="revisions")
                picker.border_title = f"Rollback target · deployment/{undo.deployment}"
                yield picker
                yield Static("", id=f"diff-{undo.step_id}", classes="diff")
            yield Static("", id="baselines")
            yield Static("", id="decide-hint", classes="hint")

    def undo_targets(self) -> list[UndoTarget]:
        """The Deployments the runbook rolls back."""
        return self.session.undo_targets() if self.session is not None else []

    def on_mount(self) -> None:
        """Prefill from the assessment and the runbook; load readiness and history."""
        session = self.session
        if session is None:
            return
        state, runbook = session.state, session.runbook
        recommendation = (state.assessment or {}).get("recommendation") or {}
        wanted = str(recommendation.get("decision", "ROLLBACK"))
        for button in self.query_one("#decision", RadioSet).query(RadioButton):
            button.value = Decision[button.name or "ROLLBACK"].value == wanted
        reasons = recommendation.get("reasons") or []
        authority = str(runbook.trigger.get("decision_authority", ""))
        defaults = {
            "rationale": reasons[0] if reasons else "",
            "expected_resolution": str(runbook.estimated_time.get("expected", "")),
            "team_lead": session.config.actor_name(),
        }
        for key, value in defaults.items():
            self.query_one(f"#{key}", Input).value = inert(value)
        self.query_one("#authorized_by", Input).placeholder = f"{authority}: name"
        self.query_one("#strategy", Select).value = runbook.strategy
        timer = self.query_one(MeetingTimer)
        timer.pace = incident_clock(state)
        timer.started_at = epoch(state.first_assessed_at) or self.app_clock()
        self.query_one(Readiness).prerequisites = dict(runbook.prerequisites)
        self.incident_changed()
        if self.writable and not state.decided and state.rbac is None:
            self.action_recheck()
        if self.writable and not state.decided:
            # Everything else is prefilled: who authorizes is what the operator must type.
            self.query_one("#authorized_by", Input).focus()
        self.load_history()

    # ---- live state --------------------------------------------------------------------------
    def incident_changed(self) -> None:
        """Readiness, frozen target and baselines follow the journal."""
        session = self.session
        if session is None:
            return
        state = session.state
        readiness = self.query_one(Readiness)
        readiness.rbac = state.rbac
        gates = {i.id for i in session.gate_items()}
        sections = checklist(session.runbook, state, session.values)
        readiness.gates = tuple(e for s in sections for e in s.entries if e.item_id in gates)
        self.query_one(MeetingTimer).decided = state.decided
        units = {m.name: m.unit for m in session.runbook.metrics}
        self.query_one("#baselines", Static).update(
            baselines_text(state.baselines, units, state.baselines_frozen_at))

    # ---- workers -----------------------------------------------------------------------------
    def action_recheck(self) -> None:
        """Run the RBAC pre-check and the automatic pre-rollback checks again."""
        session = self.session
        if session is None or not self.writable:
            return
        self.query_one(Readiness).checking = True

        def check() -> None:
            session.rbac_precheck()
            if session.gate_items():
                session.run_gates()

        self.app.run_in_session("check readiness", check,
                                lambda _: setattr(self.query_one(Readiness), "checking", False))

    def load_history(self) -> None:
        """Each target Deployment's revisions and the proposed (or frozen) target."""
        session = self.session
        if session is None:
            return
        for undo in self.undo_targets():
            def load(undo: UndoTarget = undo) -> tuple[UndoTarget, list[RevisionRow], Any]:
                frozen = session.state.targets.get(undo.key)
                try:
                    history = session.history(undo.namespace, undo.deployment)
                except KubeError as exc:  # said where it matters, not as a pop-up
                    return undo, [], f"the rollout history cannot be read: {exc}"
                rows = [RevisionRow(revision_facts(r), r.created) for r in history]
                if frozen is not None:
                    facts = [r.facts for r in rows]
                    match = next((f for f in facts if f.replicaset == frozen.get("replicaset")),
                                 None)
                    return undo, rows, match.number if match else None
                try:
                    return undo, rows, session.proposed_target(undo).revision
                except SessionError as exc:
                    return undo, rows, str(exc)

            self.app.run_in_session(f"read the history of {undo.deployment}", load,
                                    self._show_history)

    def _show_history(self, result: tuple[UndoTarget, list[RevisionRow], Any]) -> None:
        undo, rows, proposed = result
        picker = self.query_one(f"#target-{undo.step_id}", RevisionPicker)
        if isinstance(proposed, str):
            self.query_one(f"#diff-{undo.step_id}", Static).update(Text(f"✗ {inert(proposed)}"))
            if rows:
                picker.show(rows, None)
            return
        picker.show(rows, proposed)
        if self.session is not None and self.session.state.decided:
            picker.disabled = True

    @on(RevisionPicker.Highlighted)
    def _diff(self, event: RevisionPicker.Highlighted) -> None:
        session = self.session
        undo = next(u for u in self.undo_targets() if u.deployment == event.deployment)
        if session is None:
            return
        revision = event.revision

        def diff() -> tuple[str, Text]:
            lines = session.revision_diff(undo.namespace, undo.deployment, revision).lines()
            return undo.step_id, diff_text(lines, undo.deployment, revision)

        self.app.run_in_session("diff the revision", diff, lambda r: self.query_one(
            f"#diff-{r[0]}", Static).update(r[1]))

    # ---- recording ---------------------------------------------------------------------------
    def decision_input(self) -> DecisionInput | str:
        """The record as filled in, or what is missing."""
        pressed = self.query_one("#decision", RadioSet).pressed_button
        if pressed is None:
            return "choose the decision: ROLLBACK, FIX FORWARD or WORKAROUND"
        values = {key: self.query_one(f"#{key}", Input).value.strip() for key, _ in FIELDS}
        if not values["rationale"]:
            return "give the rationale (why this decision)"
        if not values["authorized_by"]:
            return "say who authorized it (the runbook's decision authority)"
        picks = {}
        for undo in self.undo_targets():
            chosen = self.query_one(f"#target-{undo.step_id}", RevisionPicker).chosen
            if chosen is not None:
                picks[undo.key] = chosen
        started = self.query_one(MeetingTimer).started_at
        state = self.session.state if self.session else None
        impact = ""
        if state and state.assessment:
            inputs = state.assessment.get("inputs") or {}
            impact = (f"{inputs.get('users_affected_pct')}% of users, "
                      f"{inputs.get('severity')}, impact score "
                      f"{state.assessment.get('impact_score')}")
        return DecisionInput(
            decision=Decision[pressed.name or "ROLLBACK"], rationale=values["rationale"],
            authorized_by=values["authorized_by"],
            issue=((state.assessment or {}).get("inputs") or {}).get("description", "")
            if state else "", impact=impact,
            expected_resolution=values["expected_resolution"], team_lead=values["team_lead"],
            engineers=tuple(e.strip() for e in values["engineers"].split(",") if e.strip()),
            support=values["support"], strategy=str(self.query_one("#strategy", Select).value),
            meeting_started_at=datetime.fromtimestamp(started, UTC) if started else None,
            picks=picks)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Recording needs a writable, undecided incident."""
        if action in ("record", "recheck"):
            session = self.session
            return self.writable and session is not None and not session.state.decided
        return super().check_action(action, parameters)

    def action_record(self) -> None:
        """Journal the decision; for a rollback, freeze the targets and baselines; go on."""
        decision = self.decision_input()
        hint = self.query_one("#decide-hint", Static)
        if isinstance(decision, str):
            hint.update(f"◌ not recorded: {decision}")
            self.app.bell()
            return
        session = self.session
        assert session is not None
        hint.update("recording the decision…")

        def record() -> Decision:
            session.decide(decision)
            if decision.decision is Decision.ROLLBACK:
                session.freeze(decision.picks)
            return decision.decision

        def recorded(result: Decision) -> None:
            hint.update("")
            self.notify(f"decision recorded: {result.value}", timeout=4)
            self.app.switch_mode("execute" if result is Decision.ROLLBACK else "verify")

        self.app.run_in_session("record the decision", record, recorded)

    def session_values(self) -> dict[str, Any]:
        """For tests: the form's values."""
        return {key: self.query_one(f"#{key}", Input).value for key, _ in FIELDS}
