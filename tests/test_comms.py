"""The seed's messages filled from an incident replayed from journal events, rendered by the
real Jinja2 templates (built-in and overridden): progress from the steps' states, activity,
blockers, the next update; journal text stays literal; the 15-minute cadence and its
reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO

from tui.adapters.comms_templates import CommsTemplateError, renderer
from tui.domain.comms import TEMPLATE_IDS, UnknownTemplate, fill
from tui.domain.comms_cadence import UpdateReminder, cadence, spoken_duration
from tui.domain.incident import JournalEvent, replay
from tui.domain.runbook import Runbook, validate_runbook

T0 = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
HOSTILE = ("[bold red]boom[/] {{ 7*7 }} {% raw %} <b>&amp;</b> \x1b[31mred\x1b[0m"
           "\nNext Update: never")


def _runbook(text: str | None = None) -> Runbook:
    data = text.encode() if text else (REPO / "runbooks" / "revert-deployment.yaml").read_bytes()
    runbook = validate_runbook(data, "revert-deployment.yaml").runbook
    assert runbook is not None
    return runbook


RUNBOOK = _runbook()
VALUES = {"namespace": "production", "deployment": "checkout", "service": "checkout",
          "release": "2.4.0", "lead": "Alice", "expected_version": "2.3.1"}


class Journal:
    """Events as the session writes them, at minutes after T0."""

    def __init__(self) -> None:
        self.events: list[JournalEvent] = []

    def add(self, minute: float, type: str, **data: Any) -> Journal:
        ts = (T0 + timedelta(minutes=minute)).isoformat()
        self.events.append(JournalEvent(1, len(self.events) + 1, ts, "alice@laptop", type,
                                        data, ""))
        return self

    def state(self) -> Any:
        return replay(self.events, live=True)


def _decided() -> Journal:
    journal = Journal().add(0, "incident.opened", incident_id="20261130-040000-checkout",
                            title="checkout 5xx", runbook_id="revert-deployment",
                            params=VALUES, drill=False)
    journal.add(1, "assessment.recorded", inputs={
        "severity": "P1", "users_affected_pct": 20, "description": "2.4.0 crash-loops",
        "trend": "worsening", "scope": "checkout and payments"})
    journal.add(3, "decision.recorded", decision="ROLLBACK", rationale="12% of checkouts fail",
                issue=RUNBOOK.title, impact="20% of users, P1", expected_resolution="10m",
                decided_at=(T0 + timedelta(minutes=3)).isoformat(), team_lead="Alice")
    return journal


def _fill(template: str, journal: Journal, minute: float, **kw: Any) -> Any:
    return fill(template, journal.state(), RUNBOOK, VALUES, T0 + timedelta(minutes=minute),
                render=renderer(), **kw)


def test_status_update_lists_progress_from_the_steps_states() -> None:
    journal = _decided()
    journal.add(4, "step.started", step_id="announce", title="Announce rollback")
    journal.add(4.5, "step.finished", step_id="announce", status="ok")
    journal.add(5, "step.finished", step_id="assemble_team", status="skipped",
                reason="everyone is already in the channel")
    journal.add(6, "step.started", step_id="status_page", title="Status page update")
    draft = _fill("status-update", journal, 7)
    lines = draft.text.splitlines()
    assert lines[0] == "Rollback Status Update #1 - 04:07 UTC"
    assert "Status: In Progress" in lines
    assert "- [X] Step 1: Announce rollback" in lines
    assert "- [ ] Step 2: Status page update (running since 04:06 UTC)" in lines
    assert "- [X] Step 3: Assemble team (skipped: everyone is already in the channel)" in lines
    assert "- [ ] Step 13: Monitor error rate" in lines
    assert "- [ ] Final sign-off" == lines[lines.index("Current Activity: Step 2: Status page "
                                                      "update (running)") - 2]
    assert "Issues/Blockers: None" in lines
    assert lines[-1] == "Next Update: 04:22 UTC"
    assert (draft.number, draft.title, draft.channel) == (1, "Status update #1",
                                                          "#incident channel")


def test_failures_and_stale_feeds_are_blockers_and_change_the_status() -> None:
    journal = _decided()
    journal.add(4, "step.started", step_id="announce", title="Announce rollback")
    journal.add(5, "step.finished", step_id="announce", status="failed",
                detail="chat is down")
    draft = _fill("status-update", journal, 6, extra_blockers=["Metrics not updating"])
    text = draft.text
    assert "Status: Issues" in text
    assert "Issues/Blockers:\n- Step 1 (Announce rollback) failed: chat is down\n" \
           "- Metrics not updating\n" in text
    assert "Current Activity: Step 1: Announce rollback failed; deciding how to continue" in text


def test_numbers_and_the_clock_follow_the_updates_sent() -> None:
    journal = _decided()
    clock = cadence(journal.state(), RUNBOOK)
    assert (clock.number, clock.since_what) == (1, "the decision")
    assert clock.due_at == (T0 + timedelta(minutes=18)).timestamp()
    journal.add(10, "comms.sent", template="status-update", number=1, channel="#incident",
                text="…", via="manual")
    journal.add(11, "comms.sent", template="announcement", channel="#incident", text="…",
                via="manual")
    clock = cadence(journal.state(), RUNBOOK)
    assert (clock.number, clock.since_what) == (2, "status update #1")
    assert clock.due_at == (T0 + timedelta(minutes=25)).timestamp()
    assert _fill("status-update", journal, 12).text.startswith("Rollback Status Update #2 - ")
    journal.add(30, "incident.resolved", outcome="success", status="success",
                verified_by="bob")
    assert cadence(journal.state(), RUNBOOK).due_at is None


def test_the_cadence_is_configurable_per_runbook() -> None:
    text = (REPO / "runbooks" / "revert-deployment.yaml").read_text()
    assert text.count("update_every: 15m") == 1
    runbook = _runbook(text.replace("update_every: 15m", "update_every: 5m"))
    clock = cadence(_decided().state(), runbook)
    assert clock.every == 300.0
    draft = fill("status-update", _decided().state(), runbook, VALUES, T0, render=renderer())
    assert draft.text.endswith("Next Update: 04:05 UTC")
    announcement = fill("announcement", _decided().state(), runbook, VALUES, T0,
                        render=renderer()).text
    assert announcement.endswith("Status updates: Every 5 minutes")


def test_a_drill_at_speed_has_its_updates_due_on_its_own_clock() -> None:
    """At ×10, the 15 minutes between updates pass in 90 wall seconds: the countdown, the
    reminder and the draft's "Next Update" all say so, as the drill's scorer judges it."""
    journal = Journal().add(0, "incident.opened", incident_id="20261130-040000-checkout",
                            title="checkout 5xx", runbook_id="revert-deployment",
                            params=VALUES, drill=True)
    journal.add(0, "drill.started", scenario="bad-release", speed=10,
                drill_started_at=T0.isoformat())
    decided = T0 + timedelta(minutes=0.3)  # 18 s of wall time: 3 minutes of the drill's
    journal.add(0.3, "decision.recorded", decision="ROLLBACK", rationale="12% fail",
                decided_at=decided.isoformat(), team_lead="Alice")
    clock = cadence(journal.state(), RUNBOOK)
    assert clock.due_at == decided.timestamp() + 90
    assert clock.left(decided.timestamp() + 30) == 600  # 10 of the drill's 15 minutes left
    assert clock.overdue_by(decided.timestamp() + 120) == 300
    reminder = UpdateReminder().check(clock, decided.timestamp() + 150)
    assert reminder is not None and "is 10 minutes overdue" in reminder.message
    # At speed, reminders still come no more often than every 30 real seconds, and a
    # reminder in the first real seconds after the due time says "due now".
    repeated = UpdateReminder()
    shown = [t for t in range(90, 200) if repeated.check(clock, decided.timestamp() + t)]
    assert shown == [90, 120, 150, 180]
    first = UpdateReminder().check(clock, decided.timestamp() + 91)
    assert first is not None and "is due now" in first.message
    draft = fill("status-update", journal.state(), RUNBOOK, VALUES, decided, render=renderer())
    assert draft.text.endswith("Next Update: 04:01 UTC")  # 04:00:18 + 90 s
    # The decision's estimate passes at the drill's speed too: 10 minutes are 60 s here.
    journal.events[-1].data["expected_resolution"] = "10m"
    announcement = fill("announcement", journal.state(), RUNBOOK, VALUES, decided,
                        render=renderer()).text
    assert "Expected completion: 04:01 UTC" in announcement  # 04:00:18 + 60 s


def test_every_template_fills_without_placeholders_once_decided() -> None:
    journal = _decided()
    journal.add(4, "target.resolved", key="production/checkout", deployment="checkout",
                version="2.3.1", revision=2, live_version="2.4.0")
    for template in TEMPLATE_IDS:
        draft = _fill(template, journal, 5)
        shown = draft.text.replace("[X]", "").replace("[ ]", "").replace("[INCIDENT]", "")
        assert draft.text and "[" not in shown, (template, draft.text)
    announcement = _fill("announcement", journal, 5).text.splitlines()
    assert announcement == ["🚨 ROLLBACK INITIATED for release 2.4.0",
                            "Reason: 12% of checkouts fail", "Lead: Alice",
                            "Expected completion: 04:13 UTC", "Status updates: Every 15 minutes"]
    initial = _fill("status-page-initial", journal, 5).text
    assert "issues with checkout." in initial and "within 8 minutes." in initial
    stakeholder = _fill("stakeholder-notification", journal, 5).text
    assert stakeholder.startswith("Subject: [INCIDENT] Production Rollback - checkout\n")
    assert "Issue: 2.4.0 crash-loops\n" in stakeholder
    assert "- Affected: checkout and payments\n" in stakeholder


def test_before_a_decision_the_gaps_are_placeholders() -> None:
    journal = Journal().add(0, "incident.opened", incident_id="X", title="t",
                            runbook_id="revert-deployment", params={}, drill=True)
    text = fill("announcement", journal.state(), RUNBOOK, {"release": "the current release"},
                T0, render=renderer()).text
    assert text.startswith("[DRILL] 🚨 ROLLBACK INITIATED for release [release]\n")
    assert "Reason: [brief reason]" in text and "Expected completion: [time]" in text


def test_journal_text_is_data_never_markup_or_template_code() -> None:
    journal = _decided()
    journal.add(5, "step.finished", step_id="assemble_team", status="skipped", reason=HOSTILE)
    journal.add(6, "step.finished", step_id="announce", status="failed", detail=HOSTILE)
    text = _fill("status-update", journal, 7).text
    assert "[bold red]boom[/] {{ 7*7 }} {% raw %} <b>&amp;</b>" in text
    assert "49" not in text and "\x1b" not in text
    assert [line for line in text.splitlines() if line.startswith("Next Update")] == [
        "Next Update: 04:22 UTC"]  # a newline in the journal does not start a line


def test_a_user_template_overrides_the_builtin_and_errors_name_the_file(tmp_path: Path
                                                                          ) -> None:
    (tmp_path / "announcement.txt.j2").write_text("ROLLBACK {{ release }} by {{ lead }}\n")
    draft = fill("announcement", _decided().state(), RUNBOOK, VALUES, T0,
                 render=renderer(tmp_path))
    assert draft.text == "ROLLBACK 2.4.0 by Alice"
    (tmp_path / "announcement.txt.j2").write_text("{{ relase }}")
    with pytest.raises(CommsTemplateError, match=r"announcement\.txt\.j2: cannot fill it"):
        fill("announcement", _decided().state(), RUNBOOK, VALUES, T0, render=renderer(tmp_path))
    (tmp_path / "announcement.txt.j2").write_text("{% if %}")
    with pytest.raises(CommsTemplateError, match=r"announcement\.txt\.j2:1: "):
        fill("announcement", _decided().state(), RUNBOOK, VALUES, T0, render=renderer(tmp_path))
    with pytest.raises(UnknownTemplate, match="templates: status-update, announcement"):
        fill("status-updates", _decided().state(), RUNBOOK, VALUES, T0, render=renderer())


def test_reminder_says_due_once_then_overdue_every_five_minutes() -> None:
    journal = _decided()
    clock = cadence(journal.state(), RUNBOOK)
    due = clock.due_at
    assert due is not None
    reminder = UpdateReminder()
    assert reminder.check(clock, due - 1) is None
    first = reminder.check(clock, due + 2)
    assert first is not None and not first.overdue
    assert first.message.startswith("Status update #1 is due now (every 15 minutes)")
    assert reminder.check(clock, due + 60) is None
    late = reminder.check(clock, due + 302)
    assert late is not None and late.overdue
    assert late.message.startswith("Status update #1 is 6 minutes overdue")
    journal.add(20, "comms.sent", template="status-update", number=1, channel="c", text="t",
                via="manual")
    assert reminder.check(cadence(journal.state(), RUNBOOK), due + 303) is None


def test_spoken_durations_round_up() -> None:
    assert [spoken_duration(s) for s in (0, 45, 60, 61, 900, 5400, 7200)] == [
        "0 seconds", "45 seconds", "1 minute", "2 minutes", "15 minutes",
        "1 hour 30 minutes", "2 hours"]


def test_a_saved_draft_is_offered_until_it_is_sent() -> None:
    from screens.comms import saved_draft

    journal = _decided()
    journal.add(5, "comms.drafted", template="status-update", number=1, text="edited #1")
    journal.add(5, "comms.drafted", template="announcement", text="edited announcement")
    assert saved_draft(journal.state(), "status-update") == "edited #1"
    assert saved_draft(journal.state(), "announcement") == "edited announcement"
    journal.add(6, "comms.sent", template="status-update", number=1, channel="c",
                text="edited #1", via="manual")
    assert saved_draft(journal.state(), "status-update") is None  # #2 is due now: fill anew
    assert saved_draft(journal.state(), "stakeholder-notification") is None


def test_stale_feeds_become_blockers() -> None:
    from screens.comms import feed_blockers
    from tui.adapters.kube_reflector import ReflectorState, ReflectorStatus
    from tui.domain.metrics import metric_view

    now = (T0 + timedelta(minutes=9)).timestamp()
    assert feed_blockers(ReflectorStatus(ReflectorState.WATCHING, "ok"), {}, now) == []
    kube = ReflectorStatus(ReflectorState.RETRYING, "refused", stale_since=now - 120)
    metric = RUNBOOK.metrics[0]
    views = {metric.name: metric_view(metric, (), now=now, stale_since=now - 60)}
    assert feed_blockers(kube, views, now) == [
        "The cluster feed is stale since 04:07 UTC: pod and rollout figures may be out of date",
        f"Metrics not updating ({metric.name}): Prometheus unreachable"]
