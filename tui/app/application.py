"""The Textual application: screens driving one incident session, and its factory.

The app holds no policy: every change goes through the session (journal first) in a thread
worker; the session's events come back as messages and land in reactives the screens bind to.
"""

from __future__ import annotations

import concurrent.futures
import importlib
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerState, get_current_worker

import screens
from tui.app import twist_sync
from tui.domain.safe_text import inert
from tui.domain.status import IncidentStatus, Phase

# The journal's and the session's types are imported when an incident is opened: bare
# `rollback` paints its start screen without them.
if TYPE_CHECKING:
    from tui.app.launch import Opener
    from tui.app.paths import Paths
    from tui.domain.drill_scorecard import Scorecard
    from tui.domain.incident import IncidentState
    from tui.domain.timeline import TimelineEntry
    from tui.session.events import ConfirmationRequest, SessionEvent
    from tui.session.session import IncidentSession

PHASE_MODES = {Phase.ASSESS: "assess", Phase.DECIDE: "decide", Phase.EXECUTE: "execute",
               Phase.VERIFY: "verify", Phase.CLOSED: "verify"}


@dataclass
class DrillHandle:
    """A drill cluster this app started (in-process), and how to stop it."""

    scenario: str
    kubeconfig: str
    api: str
    kubectl_cache_dir: str
    stop: Callable[[], None]
    description: str = ""


@dataclass
class AppContext:
    """The app's collaborators: everything it touches from outside, injectable for tests."""

    paths: Paths | None = None
    session: IncidentSession | None = None
    clock: Callable[[], float] = time.time
    drill: DrillHandle | None = None
    keymap: Mapping[str, str] = field(default_factory=dict)
    production_pattern: str = "prod"
    theme: str | None = None
    live_feeds: bool = True
    opener: Opener | None = None


SCREENS = {"start": ("screens.start", "StartScreen"), "assess": ("screens.assess", "AssessScreen"),
           "decide": ("screens.decide", "DecideScreen"),
           "execute": ("screens.execute", "ExecuteScreen"),
           "verify": ("screens.verify", "VerifyScreen")}


def _screen(module: str, name: str) -> Screen:
    """A new instance of a phase screen, importing its module on first use."""
    return getattr(importlib.import_module(module), name)()


class SessionEventArrived(Message, bubble=False):
    """A session event, marshalled from whichever thread produced it onto the app loop (the
    app passes it on to the screen on display; it never bubbles back up)."""

    def __init__(self, event: SessionEvent) -> None:
        """Wrap one event."""
        super().__init__()
        self.event = event


class FeedChanged(Message):
    """A live feed produced new data (pods, rollouts, feed status or metrics)."""

    def __init__(self, kind: str, value: Any) -> None:
        """`kind` names the app reactive the value goes to."""
        super().__init__()
        self.kind, self.value = kind, value

    def can_replace(self, message: Message) -> bool:
        """Metrics, rollouts and statuses are whole states: a newer one replaces an older one.
        Pod snapshots carry what changed since the previous one, so none is dropped."""
        return (isinstance(message, FeedChanged) and message.kind == self.kind
                and self.kind != "pods")


class RollbackApp(App[int]):
    """rollback-tui: assessment → decision → execution → verification, journaled."""

    TITLE = "rollback-tui"
    CSS_PATH = Path(screens.__file__).resolve().parent / "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "stop", "Stop", id="stop", show=False, priority=True,
                tooltip="Stop at the next safe point (again: abort)"),
        Binding("q", "quit_safely", "Quit", id="quit"),
        Binding("ctrl+q", "quit_safely", "Quit", id="quit_anywhere", priority=True,
                show=False),
        # Focus moves before the next key is delivered: as ordinary bindings, Tab reaches the
        # app only after bubbling up from the focused field, and a busy loop could deliver
        # the characters typed after it to the old field first.
        Binding("tab", "app.focus_next", "Next field", id="focus_next", show=False,
                priority=True),
        Binding("shift+tab", "app.focus_previous", "Previous field", id="focus_previous",
                show=False, priority=True),
        Binding("question_mark,f1", "help", "Help", id="help"),
        Binding("f2", "phase('assess')", "Assess", id="phase_assess", show=False),
        Binding("f3", "phase('decide')", "Decide", id="phase_decide", show=False),
        Binding("f4", "phase('execute')", "Execute", id="phase_execute", show=False),
        Binding("f5", "phase('verify')", "Verify", id="phase_verify", show=False),
    ]

    incident: reactive[IncidentState | None] = reactive(None, always_update=True)
    """The incident as the journal says, after the last event (None before one is open)."""
    pods: reactive[Any] = reactive(None, always_update=True)
    """The latest pod snapshot of the incident's target (rows keyed by uid, what changed)."""
    revisions: reactive[Mapping[str, Any]] = reactive(dict)
    """The target's ReplicaSets by pod-template hash (revision and version of each pod)."""
    rollouts: reactive[tuple[Any, ...]] = reactive(tuple, always_update=True)
    """Rollout progress of each Deployment in scope."""
    kube_status: reactive[Any] = reactive(None, always_update=True)
    """How fresh the Kubernetes feeds are (watching, retrying in N s, stale since …)."""
    metrics: reactive[Mapping[str, Any]] = reactive(dict, always_update=True)
    """The runbook's metrics, judged against the frozen baselines."""

    def __init__(self, context: AppContext) -> None:
        """Build the app around its collaborators (see `create_app`)."""
        super().__init__()
        self.context = context
        self.session: IncidentSession | None = context.session
        self.timeline: list[TimelineEntry] = []
        self._pending: list[concurrent.futures.Future[bool]] = []
        self._unsubscribe: Callable[[], None] | None = None
        self._exit_when_safe = False
        if context.theme:
            self.theme = context.theme

    # ---- start-up ----------------------------------------------------------------------------
    def on_mount(self) -> None:
        """Install the phase screens and show where the incident stands."""
        # Each screen's module is imported when it is first shown: the first frame waits for
        # one screen only.
        for mode, (module, name) in SCREENS.items():
            self.add_mode(mode, lambda module=module, name=name: _screen(module, name))
        if self.context.keymap:
            self.set_keymap(dict(self.context.keymap))
        if self.session is None:
            self.switch_mode("start")
        else:
            self.attach(self.session)

    def attach(self, session: IncidentSession) -> None:
        """Drive `session` from now on and show its current phase."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        from tui.domain.timeline import describe

        self.session = session
        self.timeline = [describe(e) for e in session.journal_events()]
        self._unsubscribe = session.subscribe(self._bridge)
        self.incident = session.snapshot()
        self.switch_mode(PHASE_MODES[self.phase])
        if session.read_only:
            self.follow_journal()
        if self.context.live_feeds:
            self.call_after_refresh(self.start_feeds, session)
            self._twist_timer = twist_sync.start(self, session, self._twist_timer)

    # ---- live feeds: started after the first paint (they import the Kubernetes client) -------
    def start_feeds(self, session: IncidentSession) -> None:
        """Pods, rollouts and metrics beside the work, each in its own worker."""
        import asyncio

        from tui.session.feeds import LiveFeeds

        self.stop_feeds()
        post = self.post_message
        feeds = self.feeds = LiveFeeds(
            session, on_pods=lambda s: post(FeedChanged("pods", s)),
            on_rollouts=lambda r: post(FeedChanged("rollouts", r)),
            on_status=lambda s: post(FeedChanged("kube_status", s)),
            on_metrics=lambda m: post(FeedChanged("metrics", dict(m))))
        stop = self._feeds_stop = threading.Event()
        metrics_stop = self._metrics_stop = asyncio.Event()
        self.run_worker(lambda: feeds.run_kube(stop), name="watch the cluster", thread=True,
                        group="feeds", exit_on_error=False)
        self.run_worker(feeds.run_metrics(metrics_stop), name="poll the metrics",
                        group="metrics", exit_on_error=False)

    def stop_feeds(self) -> None:
        """End the feeds (their threads stop at their next look)."""
        if self._feeds_stop is not None:
            self._feeds_stop.set()
        if self._metrics_stop is not None:
            self._metrics_stop.set()
        self._feeds_stop = self._metrics_stop = None

    feeds: Any = None
    _twist_timer: Any = None
    _feeds_stop: threading.Event | None = None
    _metrics_stop: Any = None

    @on(FeedChanged)
    def _on_feed(self, message: FeedChanged) -> None:
        if message.kind == "pods" and self.feeds is not None:
            revisions = self.feeds.revisions()
            if revisions != self.revisions:
                self.revisions = revisions
        setattr(self, message.kind, message.value)

    def _bridge(self, event: SessionEvent) -> None:
        """Session subscriber: may run on any thread; post_message is thread-safe."""
        self.post_message(SessionEventArrived(event))

    @on(SessionEventArrived)
    def _on_session_event(self, message: SessionEventArrived) -> None:
        from tui.domain.timeline import describe
        from tui.session.events import Journaled, StepFinished

        event = message.event
        if isinstance(event, Journaled):
            self.timeline.append(describe(event.event))
            self.incident = event.state
            twist_sync.toast(self, event)
        # Screens get every event too (step output streams to the step card).
        if self.screen_stack:
            self.screen.post_message(SessionEventArrived(event))
        if isinstance(event, StepFinished) and self._exit_when_safe:
            self.exit(0)

    @property
    def holder(self) -> str | None:
        """Who holds the incident (for a follower's context bar)."""
        if self.session is None:
            return None
        from tui.adapters.journal_tail import writer_status

        return writer_status(self.session.folder).describe()

    def scorecard(self) -> Scorecard | str:
        """The open drill's scorecard, or a sentence saying why there is none (the scorer is
        imported when first asked for; blocking: call it from a worker)."""
        from tui.app.drill_debrief import drill_scorecard

        return drill_scorecard(self.session)

    @property
    def phase(self) -> Phase:
        """Where the incident stands (derived from the journal)."""
        if self.session is None:
            return Phase.ASSESS
        return self.session.phase()

    # ---- workers: every session operation runs off the UI thread ----------------------------
    def run_in_session(self, label: str, operation: Callable[[], Any],
                       done: Callable[[Any], None] | None = None) -> Worker[Any]:
        """Run a blocking session operation in a thread worker; errors become notifications."""
        def job() -> Any:
            result = operation()
            if done is not None:
                self.call_from_thread(done, result)
            return result

        return self.run_worker(job, name=label, group="session", thread=True,
                               exit_on_error=False, description=label)

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """A toast whose text from data (step summaries, errors) shows controls as `^[`."""
        super().notify(inert(message, keep="\n"), title=inert(title), severity=severity,
                       timeout=timeout, markup=markup)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """One handler for every worker error: a notification and a journal entry."""
        worker = event.worker
        if event.state is not WorkerState.ERROR or worker.error is None:
            return
        from tui.session.core import SessionError

        error = worker.error
        message = str(error) if isinstance(error, SessionError) else (
            f"{worker.name or 'background work'} failed: {error}")
        self.notify(message, title="Not done", severity="error", timeout=10)
        if self.session is not None and not self.session.read_only and \
                not isinstance(error, SessionError):
            self.run_worker(lambda: self.session.journal_error(message), thread=True,
                            exit_on_error=False, group="journal")

    # ---- confirmation: asked from a worker thread, answered by a dialog ---------------------
    def confirm_from_thread(self, request: ConfirmationRequest) -> bool:
        """The session's confirmer: show the dialog, block this worker until it is answered."""
        from screens.confirm_step import ConfirmStepScreen

        future: concurrent.futures.Future[bool] = concurrent.futures.Future()
        self._pending.append(future)

        def show() -> None:
            self.push_screen(ConfirmStepScreen(request),
                             callback=lambda answer: future.set_result(bool(answer)))

        try:
            self.call_from_thread(show)
            return future.result()
        except (RuntimeError, concurrent.futures.CancelledError):
            return False  # the app is closing: nothing is confirmed
        finally:
            if future in self._pending:
                self._pending.remove(future)

    def on_unmount(self) -> None:
        """Decline every open question, stop following and the feeds, release the session."""
        self.stop_feeds()
        for future in list(self._pending):
            if not future.done():
                future.set_result(False)
        if self._unsubscribe is not None:
            self._unsubscribe()

    # ---- follow mode -------------------------------------------------------------------------
    @work(thread=True, group="follow", exclusive=True, exit_on_error=False)
    def follow_journal(self) -> None:
        """Read-only: apply what the holding process appends, as it lands."""
        session = self.session
        worker = get_current_worker()
        while session is not None and not worker.is_cancelled:
            session.poll()
            if session.state.status is IncidentStatus.RESOLVED:
                return
            time.sleep(0.1)

    # ---- actions ----------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Phase keys only once an incident is open."""
        if action == "phase":
            return self.session is not None
        return True

    def action_phase(self, mode: str) -> None:
        """Show a phase (earlier phases stay readable; later ones wait for their turn)."""
        order = ["assess", "decide", "execute", "verify"]
        reached = PHASE_MODES[self.phase]
        if order.index(mode) > order.index(reached):
            self.notify(f"{mode} comes after {reached}: finish {reached} first",
                        severity="warning")
            return
        self.switch_mode(mode)

    def action_help(self) -> None:
        """Every key of this screen, and the drill's second-pane instructions."""
        from screens.help import HelpScreen

        self.push_screen(HelpScreen(self.screen, self.context.drill))

    def action_stop(self) -> None:
        """Ctrl-C: stop at the next safe point; again: abort. Nothing running: quit."""
        session = self.session
        running = session.state.running_step if session is not None else None
        if session is None or session.read_only or running is None:
            self.exit(0)
            return
        from screens.stop import StopScreen

        self._exit_when_safe = True
        level = "abort" if session.state.stop_requested else "next_safe_point"
        self.run_in_session("stop", session.request_stop)
        if level == "abort":
            self.exit(130)
            return
        step = session.step(running.step_id)
        self.push_screen(StopScreen(step.title, step.danger or step.point_of_no_return))

    async def action_quit(self) -> None:
        """Textual's own quit (its palette command, its default key) quits safely too."""
        self.action_quit_safely()

    def action_quit_safely(self) -> None:
        """Quit, asking first when a step is running."""
        session = self.session
        running = session.state.running_step if session is not None else None
        if running is None or session is None or session.read_only:
            self.exit(0)
            return
        from screens.quit import QuitScreen

        def answered(stop: bool | None) -> None:
            if stop:
                self.action_stop()

        self.push_screen(QuitScreen(running.title or running.step_id), callback=answered)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette: every action of the current screen and of the app, with its key (even
        when an input has focus and the key would be typed into it)."""
        # Textual's "Quit" would be a second entry: "Quit (q)" below is the same, safely.
        yield from (c for c in super().get_system_commands(screen) if c.title != "Quit")
        seen: set[str] = set()
        for node in (screen, self):
            bindings_map = node._bindings.copy()
            if self._keymap:
                bindings_map.apply_keymap(self._keymap)
            for bindings in bindings_map.key_to_bindings.values():
                for binding in bindings:
                    action = binding.action
                    if not binding.description or binding.system or action in seen:
                        continue
                    if node.check_action(action.split("(", 1)[0], ()) is False:
                        continue
                    seen.add(action)
                    yield SystemCommand(
                        f"{binding.description} ({self.get_key_display(binding)})",
                        binding.tooltip or _action_help(node, action) or binding.description,
                        lambda action=action, node=node: self.run_action(action, node))


def _action_help(node: object, action: str) -> str:
    """The palette's line under a command: the first line of its action's docstring (the
    binding's description again would say nothing new)."""
    method = getattr(node, f"action_{action.split('(', 1)[0]}", None)
    doc = (getattr(method, "__doc__", None) or "").strip()
    return " ".join(doc.split("\n\n", 1)[0].split())


def create_app(context: AppContext) -> RollbackApp:
    """The app factory: tests and the command line build the app the same way."""
    return RollbackApp(context)
