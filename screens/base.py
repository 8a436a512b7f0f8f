"""The frame every incident screen shares: the context bar (where am I, what am I touching),
the phase strip, the work on the left and the evidence on the right, the footer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from weakref import WeakKeyDictionary

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer

from tui.domain.comms_cadence import UpdateReminder, cadence
from tui.domain.drill_timing import WALL, incident_clock
from tui.domain.durations import parse_duration
from tui.domain.status import Phase
from widgets.context_bar import ContextBar, ContextInfo
from widgets.evidence import Evidence
from widgets.phase_strip import PhaseStrip, phase_progress
from widgets.pod_panel import PodPanel
from widgets.rollout_panel import RolloutView

if TYPE_CHECKING:
    from tui.app.application import RollbackApp, SessionEventArrived
    from tui.session.events import SessionEvent
    from tui.session.session import IncidentSession

NARROW = 100  # columns below which the evidence folds into tabs under the work
# One reminder per incident, whichever phase screen is up: switching screens never repeats it.
_REMINDERS: WeakKeyDictionary[IncidentSession, UpdateReminder] = WeakKeyDictionary()


def _epoch(ts: str | None) -> float | None:
    if not ts:
        return None
    try:
        return datetime.fromisoformat(ts).timestamp()
    except ValueError:
        return None


class AppScreen(Screen[None]):
    """A screen of RollbackApp: the app typed, and the incident session it drives."""

    @property
    def rollback_app(self) -> RollbackApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    @property
    def session(self) -> IncidentSession | None:
        """The incident session the app drives."""
        return self.rollback_app.session


@dataclass(frozen=True)
class _Relisted:
    """A pod snapshot presented as a full re-list (for a screen catching up)."""

    rows: Any
    added: frozenset[str]
    changed: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()
    relisted: bool = True


def relisted(snapshot: Any) -> _Relisted:
    """The latest snapshot as if everything had just been listed."""
    return _Relisted(snapshot.rows, frozenset(snapshot.rows))


def context_info(session: IncidentSession, phase: Phase, held_by: str | None = None
                 ) -> ContextInfo:
    """The context bar's facts, from the journal and the session's settings."""
    state, config, values = session.state, session.config, session.values
    cluster = state.cluster or {}
    decision = state.decision or {}
    opened = _epoch(state.opened_at)
    detected = _epoch(decision.get("detected_at"))
    if detected is None and opened is not None:
        minutes = ((state.assessment or {}).get("inputs") or {}).get("duration_minutes")
        detected = opened - float(minutes) * 60 if isinstance(minutes, int | float) else opened
    return ContextInfo(
        context=str(cluster.get("context") or config.context or "not connected"),
        namespace=str(values.get("namespace") or cluster.get("namespace") or
                      config.namespace or "?"),
        deployment=str(values.get("deployment") or values.get("service") or ""),
        incident_id=session.incident_id, phase=phase, detected_at=detected,
        update_due_at=cadence(state, session.runbook).due_at if phase is not Phase.CLOSED
        else None,
        drill=state.drill or config.drill, dry_run=state.dry_run or config.dry_run,
        read_only=session.read_only, held_by=held_by, pace=incident_clock(state),
        ended_at=_epoch(state.resolved_at))


class IncidentScreen(AppScreen):
    """Base of the four phase screens: the frame, and the incident as it changes."""

    PHASE: ClassVar[Phase] = Phase.ASSESS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "note", "Note", id="note"),
        Binding("t", "timeline", "Timeline", id="timeline"),
        Binding("c", "comms", "Comms", id="comms"),
        Binding("ctrl+f", "facilitate", "Fire a twist (drill)", id="facilitate", show=False),
        Binding("1", "evidence('pods')", "Pods tab", id="evidence_pods", show=False),
        Binding("2", "evidence('metrics')", "Metrics tab", id="evidence_metrics", show=False),
        Binding("3", "evidence('rollout')", "Rollout tab", id="evidence_rollout", show=False),
        Binding("4", "evidence('timeline')", "Timeline tab", id="evidence_timeline",
                show=False),
    ]

    @property
    def writable(self) -> bool:
        """Whether this app may change the incident (not a follower, not closed)."""
        session = self.session
        return session is not None and not session.read_only and \
            session.phase() is not Phase.CLOSED

    def app_clock(self) -> float:
        """The app's clock (injected in tests)."""
        return self.rollback_app.context.clock()

    def compose(self) -> ComposeResult:
        """Bar, strip, work | evidence, footer."""
        context = self.rollback_app.context
        yield ContextBar(clock=context.clock, production_pattern=context.production_pattern,
                         id="context-bar")
        yield PhaseStrip(id="phase-strip")
        with Horizontal(id="body"):
            with Vertical(id="work"):
                yield from self.compose_work()
            yield Evidence(clock=context.clock, id="evidence")
        yield Footer()

    def compose_work(self) -> ComposeResult:
        """The screen's own work area."""
        yield from ()

    def on_mount(self) -> None:
        """Follow the incident and the live feeds the app keeps."""
        app = self.rollback_app
        self.watch(app, "incident", self._incident, init=True)
        # One single-argument callback per feed (Textual passes (old, new) to two-argument ones).
        self.watch(app, "pods", self._pods_changed, init=False)
        self.watch(app, "rollouts", self._rollouts_changed, init=False)
        self.watch(app, "kube_status", self._status_changed, init=False)
        self.watch(app, "metrics", self._metrics_changed, init=False)
        self._apply_width(app.size.width)
        self._remind_update()  # an update already overdue is said on arrival, not a tick later
        self.set_interval(1.0, self._remind_update)

    def _pods_changed(self, value: Any) -> None:
        self._feed("pods", value)

    def _rollouts_changed(self, value: Any) -> None:
        self._feed("rollouts", value)

    def _status_changed(self, value: Any) -> None:
        self._feed("kube_status", value)

    def _metrics_changed(self, value: Any) -> None:
        self._feed("metrics", value)

    def on_screen_resume(self) -> None:
        """Back on screen: catch up with everything the feeds said meanwhile."""
        self._sync_evidence()

    def _sync_evidence(self) -> None:
        app, evidence = self.rollback_app, self.query_one(Evidence)
        if app.pods is not None:
            evidence.show_pods(relisted(app.pods), app.revisions)
        self._feed("rollouts", app.rollouts)
        self._feed("kube_status", app.kube_status)
        self._feed("metrics", app.metrics)

    def _feed(self, name: str, value: Any) -> None:
        """A feed changed: only the screen on display draws it (others catch up on resume)."""
        if not self.is_current:
            return
        evidence = self.query_one(Evidence)
        if name == "pods" and value is not None:
            evidence.show_pods(value, self.rollback_app.revisions)
        elif name == "rollouts":
            evidence.show_rollouts(self.rollout_views(value))
        elif name == "kube_status":
            evidence.show_status(value)
        elif name == "metrics":
            evidence.show_metrics(value)

    def rollout_views(self, rollouts: tuple[Any, ...]) -> list[RolloutView]:
        """Each rollout with its start (the rollback step's) and the runbook's estimate."""
        session = self.session
        started = estimate = None
        if session is not None:
            for step in session.runbook.steps:
                state = session.state.steps.get(step.id)
                if step.action == "k8s.rollout_undo" and state and state.started_at:
                    started = _epoch(state.started_at)
                if step.action == "k8s.rollout_status" and step.duration:
                    estimate = parse_duration(step.duration)
        pace = incident_clock(session.state) if session is not None else WALL
        return [RolloutView(p, started, estimate, pace) for p in rollouts]

    def on_resize(self, event: Any) -> None:
        """Fold the evidence under the work on narrow terminals."""
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        narrow = width < NARROW
        self.set_class(narrow, "-narrow")
        self.query_one(Evidence).folded = narrow

    def on_pod_panel_details_requested(self, message: PodPanel.DetailsRequested) -> None:
        """Enter on a pod: its conditions, containers, events and logs."""
        from screens.pod_details import PodDetailsScreen

        session = self.session
        if session is None:
            return
        screen = PodDetailsScreen(name=message.name, clock=self.app_clock)
        self.app.push_screen(screen)

        def fetch() -> Any:
            return session.kube.pod_details(message.name, namespace=message.namespace)

        worker = self.rollback_app.run_in_session(f"read pod {message.name}", fetch,
                                                  screen.show)
        del worker

    def _incident(self, _state: object) -> None:
        session = self.session
        if session is None:
            return
        phase = session.phase()
        holder = self.rollback_app.holder if session.read_only else None
        self.query_one(ContextBar).info = context_info(session, phase, holder)
        self.query_one(PhaseStrip).progress = phase_progress(session.state, session.runbook,
                                                             current=phase)
        self.incident_changed()

    def _remind_update(self) -> None:
        """A status update due: say so once; overdue: again every few minutes until sent."""
        session, state = self.session, self.rollback_app.incident
        if session is None or state is None or session.read_only or \
                self not in self.app.screen_stack:
            return
        reminder = _REMINDERS.setdefault(session, UpdateReminder())
        found = reminder.check(cadence(state, session.runbook), self.app_clock())
        if found is not None:
            self.app.notify(found.message, title="Status update",
                            severity="error" if found.overdue else "warning", timeout=20)

    def incident_changed(self) -> None:
        """Hook: the journal moved on (the screen refreshes what depends on it)."""

    def session_event(self, event: SessionEvent) -> None:
        """Hook: a session event arrived (e.g. a step's output line)."""

    def on_session_event_arrived(self, message: SessionEventArrived) -> None:
        """Pass session events to the screen's hook."""
        self.session_event(message.event)

    # ---- actions every phase has --------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Notes need a writable incident; communications an incident."""
        if action == "note":
            return self.writable
        if action == "comms":
            return self.session is not None
        if action == "facilitate":
            from tui.app.twist_sync import is_drill

            return self.writable and is_drill(self.session)
        return True

    def action_facilitate(self) -> None:
        """A drill's facilitator fires a twist (the catalogue in a dialog)."""
        from tui.app.twist_sync import facilitate

        facilitate(self.rollback_app)

    def action_note(self) -> None:
        """Add a note to the incident (journaled)."""
        from screens.text_entry import TextEntryScreen

        session = self.session
        if session is None:
            return

        def add(text: str | None) -> None:
            if text:
                self.rollback_app.run_in_session("add the note", lambda: session.note(text))

        self.app.push_screen(TextEntryScreen("Note", "What should the journal say?"), add)

    def action_evidence(self, tab: str) -> None:
        """Show one evidence panel (narrow terminals fold them into tabs)."""
        evidence = self.query_one(Evidence)
        evidence.tab = tab
        if tab == "timeline":
            evidence.show_timeline(self.rollback_app.timeline)

    def action_comms(self) -> None:
        """Status updates and notices: fill, edit, copy, mark sent or send (journaled)."""
        from screens.comms import CommsScreen

        opener = self.rollback_app.context.opener
        webhooks = tuple(opener.settings.webhooks) if opener is not None else ()
        self.app.push_screen(CommsScreen(webhooks=webhooks))

    def action_timeline(self) -> None:
        """The journal's timeline, newest last."""
        from screens.timeline import TimelineScreen

        self.app.push_screen(TimelineScreen(self.rollback_app.timeline))
