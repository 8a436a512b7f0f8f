"""The drill's bad-release incident as the widget tests see it: the built-in revert-deployment
runbook and journal events shaped like a real run's (checkout 2.4.0 crash-looping, rollback to
revision 2 / 2.3.1), replayed into incident states at the moments the snapshots show."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from textual import on
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget

from tui.domain.incident import IncidentState, JournalEvent, apply_event
from tui.domain.runbook import Runbook, validate_runbook
from widgets.checklist import Checklist
from widgets.step_list import StepList

ROOT = Path(__file__).resolve().parent.parent
ACTOR = "alice@laptop"
INCIDENT_ID = "20261130-041207-revert-deployment"
PARAMS = {
    "namespace": "production", "deployment": "checkout", "service": "checkout",
    "to_revision": "2", "expected_version": "2.3.1",
    "health_url": "http://127.0.0.1:36403/apps/checkout/health",
    "version_url": "http://127.0.0.1:36403/apps/checkout/version",
    "prometheus_url": "http://127.0.0.1:36403/prometheus", "release": "2.4.0",
    "lead": "alice",
}
HOSTILE = [
    "\x1b[2J\x1b]52;c;ZXZpbA==\x07",
    "[bold red]boom[/]",
    "[link=file:///etc/passwd]x[/link]",
    "a\rb", "c\td", "e\x00f",
    "L" * 500,
    "漢字テスト🚀👩‍👩‍👧 wide",
]
HOSTILE_TEXT = " ".join(HOSTILE)


def at(clock: str) -> str:
    """A journal timestamp on the drill's day: `at("04:12:07")`."""
    return f"2026-11-30T{clock}.000Z"


def epoch_at(clock: str) -> float:
    """The same moment in epoch seconds (what the injected clocks return)."""
    return datetime.fromisoformat(f"2026-11-30T{clock}+00:00").astimezone(UTC).timestamp()


NOW = epoch_at("04:26:37")  # the moment every snapshot is taken


def fixed_clock() -> float:
    """The injected clock: always NOW."""
    return NOW


def runbook() -> Runbook:
    """The built-in revert-deployment runbook, validated as the app loads it."""
    path = ROOT / "runbooks" / "revert-deployment.yaml"
    result = validate_runbook(path.read_bytes(), str(path))
    assert result.runbook is not None, result.problems
    return result.runbook


RBAC_CHECKS = [{"permission": p, "allowed": True, "reason": "allowed by role oncall"} for p in (
    "create selfsubjectaccessreviews.authorization.k8s.io", "get deployments.apps",
    "list replicasets.apps", "list pods", "list services", "list events",
    "patch deployments.apps", "watch deployments.apps")]


def _manual(step_id: str, title: str, start: str, end: str) -> list[tuple[str, str, dict]]:
    return [
        (start, "step.started", {"step_id": step_id, "title": title, "action": "manual",
                                 "dry_run": False, "request": "operator"}),
        (end, "step.finished", {"step_id": step_id, "title": title, "status": "ok",
                                "detail": f"done, confirmed by {ACTOR}",
                                "data": {"confirmed": True}, "output": []}),
    ]


def _step(step_id: str, title: str, start: str, end: str, detail: str, *,
          data: dict | None = None, output: list[str] | None = None,
          request: str = "", status: str = "ok") -> list[tuple[str, str, dict]]:
    return [
        (start, "step.started", {"step_id": step_id, "title": title, "dry_run": False,
                                 "request": request}),
        (end, "step.finished", {"step_id": step_id, "title": title, "status": status,
                                "detail": detail, "data": data or {}, "output": output or []}),
    ]


UNDO_REQUEST = ('PATCH deployments.apps/checkout in namespace "production" (context kind-prod) '
                "(application/json-patch+json): replace /spec/template with that of the frozen "
                "target rev 2 (2.3.1), ReplicaSet checkout-655b57ff64")


def execution_events() -> list[tuple[str, str, dict[str, Any]]]:
    """From the incident's opening to step 8 (rollout undo) running."""
    return [
        ("04:12:07", "incident.opened", {
            "incident_id": INCIDENT_ID, "title": "checkout 2.4.0 failing 12% of requests",
            "runbook_id": "revert-deployment", "runbook_version": "1.0.0", "params": PARAMS,
            "drill": True, "dry_run": False, "headless": False}),
        ("04:13:40", "assessment.recorded", {
            "inputs": {"severity": "P1", "users_affected_pct": 12, "trend": "worsening"},
            "impact_score": 72, "recommendation": {"decision": "ROLLBACK", "urgency": "now"}}),
        ("04:19:02", "decision.recorded", {
            "decision": "ROLLBACK", "strategy": "revert-deployment", "authorized_by": "bob",
            "rationale": "2.4.0 crash-loops; 2.3.1 was healthy for 6 days",
            "meeting_seconds": 392, "time_lost": "7m"}),
        ("04:19:03", "cluster.connected", {"context": "kind-prod", "server": "https://10.0.0.1",
                                           "namespace": "production", "drill": True}),
        ("04:19:04", "rbac.checked", {"ok": True, "summary": "all 8 permissions allowed in "
                                      "production", "checks": RBAC_CHECKS,
                                      "namespace": "production"}),
        ("04:19:04", "target.resolved", {
            "namespace": "production", "deployment": "checkout", "revision": 2,
            "version": "2.3.1", "live_revision": 3, "live_version": "2.4.0",
            "chosen_by": "expected_version",
            "reason": "newest revision serving the expected version 2.3.1"}),
        ("04:19:05", "baselines.frozen", {"metrics": ["error_ratio", "latency_p95",
                                                      "request_rate"]}),
        *_manual("announce", "Announce rollback", "04:19:10", "04:19:50"),
        *_manual("status_page", "Status page update", "04:19:51", "04:21:02"),
        *_manual("assemble_team", "Assemble team", "04:21:03", "04:24:30"),
        *_step("verify_prerequisites", "Verify prerequisites (required access confirmed)",
               "04:24:31", "04:24:33", "all 8 permissions allowed in production",
               data={"checks": RBAC_CHECKS}),
        *_step("snapshot", "Take snapshot of the current state", "04:24:34", "04:24:35",
               "saved current-state.yaml (24,056 bytes)"),
        *_step("current_version", "Record the version currently served", "04:24:36",
               "04:24:36", "GET http://127.0.0.1:36403/apps/checkout/version answered 503"),
        *_step("identify_previous", "Identify previous version", "04:24:37", "04:24:38",
               "3 revisions, current 3; frozen target 2 (2.3.1) differs in 1 way(s)",
               output=["REVISION  CHANGE-CAUSE  IMAGES",
                       "2         deploy checkout 2.3.1  registry.drill.local/checkout:2.3.1",
                       "3       * deploy checkout 2.4.0: new payment client"]),
        ("04:25:58", "confirmation.answered", {
            "step_id": "rollout_undo", "answer": True, "typed": True,
            "question": "Run step 8 (Deploy previous version) against kind-prod · production?"}),
        ("04:26:00", "step.started", {"step_id": "rollout_undo", "title": "Deploy previous "
                                      "version", "dry_run": False, "request": UNDO_REQUEST,
                                      "confirmed_by": ACTOR}),
    ]


def verification_events() -> list[tuple[str, str, dict[str, Any]]]:
    """The rest of the run: the undo and the checks done, the checklist half ticked."""
    checks = [
        ("services_running", "pass", 'deployment "checkout" successfully rolled out', True),
        ("health_passing", "pass", "HTTP 200, in 0.006s", True),
        ("no_error_spikes", "pass", "error_ratio 0.002 ≤ threshold 0.050 (baseline 0.002)", True),
        ("correct_version", "pass", "HTTP 200, version = 2.3.1", True),
        ("error_rate_baseline", "pass", "error_ratio 0.002, within 1.5× of baseline 0.002", True),
        ("response_times_normal", "fail", "latency_p95 0.61 > threshold 0.500 (baseline 0.136)",
         True),
        ("severity_confirmed", "pass", "", False),
        ("stakeholders_notified", "pass", "posted in #incident-checkout", False),
        ("smoke_tests", "open", "", False),
        ("previous_version_deployed", "pass", "HTTP 200, version = 2.3.1", True),
    ]
    return [
        ("04:26:02", "step.finished", {
            "step_id": "rollout_undo", "title": "Deploy previous version", "status": "ok",
            "detail": 'rolled back deployment "checkout" from revision 3 to revision 2',
            "data": {"from_revision": 3, "to_revision": 2}, "output": []}),
        *_step("rollout_status", "Verify deployment", "04:26:03", "04:27:10",
               'deployment "checkout" successfully rolled out'),
        *_step("verify_version", "Verify version", "04:27:11", "04:27:11",
               "HTTP 200, version = 2.3.1, in 0.009s"),
        *_manual("check_logs", "Check logs for errors", "04:27:12", "04:28:40"),
        *_step("health_check", "Health checks", "04:28:41", "04:28:41", "HTTP 200, in 0.008s"),
        *_step("error_rate", "Monitor error rate", "04:28:42", "04:30:42",
               "error_ratio 0.002 ≤ threshold 0.050 (baseline 0.002)"),
        *[("04:31:00", "check.recorded", {"item_id": item, "status": status, "note": note,
                                          "automatic": automatic})
          for item, status, note, automatic in checks],
    ]


def journal(items: list[tuple[str, str, dict[str, Any]]], first_seq: int = 1
            ) -> list[JournalEvent]:
    """Journal events from (time, type, data) triples, with the operator as actor."""
    return [JournalEvent(1, first_seq + n, at(clock), ACTOR, kind, data, "")
            for n, (clock, kind, data) in enumerate(items)]


def state_of(events: list[JournalEvent]) -> IncidentState:
    """The live state after `events` (running steps stay running)."""
    state = IncidentState()
    for event in events:
        apply_event(state, event)
    return state


def executing_state() -> IncidentState:
    """Step 8 (rollout undo) running since 04:26:00."""
    return state_of(journal(execution_events()))


def verifying_state() -> IncidentState:
    """Every step done; automatic checks recorded (one failed), some manual items ticked."""
    return state_of(journal(execution_events() + verification_events()))


# ---- the harness every widget test runs in ---------------------------------------------------

THEMES = ("textual-dark", "textual-light")
SIZES = ((120, 40), (80, 24))


class Harness(App[None]):
    """Widgets on an otherwise empty screen, in a given theme, recording what they post.

    `pane=True` puts them in a work column as wide as the guided screens' left side at 120
    columns (the full width at 80), so snapshots show them at the width they really get.
    """

    HORIZONTAL_BREAKPOINTS: ClassVar = [(0, "-narrow"), (100, "-wide")]
    CSS = """
    #work { height: 1fr; }
    Screen.-wide #work { width: 56; }
    ContextBar, PhaseStrip { margin-bottom: 1; }
    """

    def __init__(self, build: Callable[[], Iterable[Widget]], theme: str = "textual-dark",
                 pane: bool = False) -> None:
        super().__init__()
        self.build, self.start_theme, self.pane = build, theme, pane
        self.posted: list[Message] = []

    def compose(self) -> ComposeResult:
        """The widgets, in the work column if asked."""
        widgets = list(self.build())
        if self.pane:
            yield Vertical(*widgets, id="work")
        else:
            yield from widgets

    def on_mount(self) -> None:
        """Theme first, then focus the first widget that takes it."""
        self.theme = self.start_theme
        for widget in self.screen.focus_chain[:1]:
            widget.focus()

    @on(StepList.Highlighted)
    @on(StepList.RunRequested)
    @on(Checklist.Toggled)
    @on(Checklist.NoteRequested)
    def record(self, message: Message) -> None:
        """Keep what the widgets posted, in order."""
        self.posted.append(message)


def screen_lines(app: App[Any]) -> list[str]:
    """The screen as text, one string per row (textual is pinned; this reads its compositor)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def screen_text(app: App[Any]) -> str:
    """The screen as one string."""
    return "\n".join(screen_lines(app))
